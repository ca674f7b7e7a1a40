// Implementation of content_hash.h.
#include "vm-images/content_hash.h"

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Result<std::vector<std::string>> parse_sha256sum_output(std::string_view out, size_t expected) {
  std::vector<std::string> digests;
  while (!out.empty()) {
    auto nl = out.find('\n');
    std::string_view line = out.substr(0, nl);
    out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
    if (line.empty()) continue;
    // A name with a backslash or newline makes sha256sum prefix the line with '\'.
    if (line.front() == '\\') line.remove_prefix(1);
    std::string_view digest = line.substr(0, 64);
    if (digest.size() != 64 || digest.find_first_not_of("0123456789abcdef") != digest.npos) {
      return make_error("unexpected sha256sum output line '{}'", line);
    }
    digests.emplace_back(digest);
  }
  if (digests.size() != expected) {
    return make_error("sha256sum printed {} digests for {} files", digests.size(), expected);
  }
  return digests;
}

Result<std::vector<std::string>> sha256_files(const std::vector<fs::path>& files) {
  if (files.empty()) return std::vector<std::string>{};
  std::vector<std::string> argv = {"sha256sum", "--"};
  for (const auto& f : files) argv.push_back(f.string());
  WEDGE_TRY(CommandOutput out, run_checked(argv, 120s));
  return parse_sha256sum_output(out.out, files.size());
}

Result<std::string> sha256_text(std::string_view text) {
  WEDGE_TRY(TempDir dir, TempDir::create("wedge-hash"));
  fs::path file = dir.path() / "text";
  WEDGE_CHECK(write_file_atomic(file, text));
  WEDGE_TRY(std::vector<std::string> digests, sha256_files({file}));
  return digests.front();
}

}  // namespace wedge::image
