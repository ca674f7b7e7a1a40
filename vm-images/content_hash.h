// SHA-256 digests through coreutils' sha256sum (one process for many files), used to key
// the image cache by content.
//
//   WEDGE_TRY(auto digests, sha256_files({"/bin/busybox", kernel}));  // hex, in input order
//   WEDGE_TRY(std::string id, sha256_text(manifest));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::image {

// Hex digests of files, in the order given.
[[nodiscard]] Result<std::vector<std::string>> sha256_files(
    const std::vector<std::filesystem::path>& files);

// Hex digest of text.
[[nodiscard]] Result<std::string> sha256_text(std::string_view text);

// Parses sha256sum's output ("<64 hex>  <name>" a line) into the digests, in order;
// expected is how many lines there must be.
[[nodiscard]] Result<std::vector<std::string>> parse_sha256sum_output(std::string_view out,
                                                                      size_t expected);

}  // namespace wedge::image
