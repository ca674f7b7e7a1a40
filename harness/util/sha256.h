// SHA-256 in-process through libcrypto's EVP interface: the content keys of the image cache
// and the kernel build cache.
//
//   WEDGE_TRY(std::string id, sha256_hex(manifest));            // 64 lowercase hex digits
//   WEDGE_TRY(std::string digest, sha256_file("/bin/busybox"));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge {

// Hex SHA-256 of bytes: sha256_hex("abc") -> "ba7816bf...f20015ad".
[[nodiscard]] Result<std::string> sha256_hex(std::string_view bytes);

// Hex SHA-256 of a file's content, read in chunks (kernels and modules need not fit in memory
// twice). Fails with the path when the file cannot be read.
[[nodiscard]] Result<std::string> sha256_file(const std::filesystem::path& file);

}  // namespace wedge
