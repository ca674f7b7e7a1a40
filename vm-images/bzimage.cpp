// Implementation of bzimage.h (see Documentation/arch/x86/boot.rst for the header layout).
#include "vm-images/bzimage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "harness/util/files.h"

namespace wedge::image {

namespace {

constexpr size_t kMagicOffset = 0x202;
constexpr size_t kVersionPointerOffset = 0x20E;
constexpr size_t kSetupBase = 0x200;
constexpr size_t kMaxVersionLength = 256;
constexpr size_t kReadLimit = 64 * 1024;

}  // namespace

Result<std::string> parse_bzimage_release(std::string_view bytes) {
  if (bytes.size() < kVersionPointerOffset + 2 || bytes.substr(kMagicOffset, 4) != "HdrS") {
    return make_error("not a bzImage (no \"HdrS\" setup header at 0x202)");
  }
  auto lo = static_cast<unsigned char>(bytes[kVersionPointerOffset]);
  auto hi = static_cast<unsigned char>(bytes[kVersionPointerOffset + 1]);
  size_t pointer = static_cast<size_t>(lo) | (static_cast<size_t>(hi) << 8);
  if (pointer == 0) return make_error("bzImage has no kernel_version string");
  size_t start = pointer + kSetupBase;
  if (start >= bytes.size()) {
    return make_error("bzImage kernel_version offset 0x{:x} is past the data read", start);
  }
  std::string_view version = bytes.substr(start, kMaxVersionLength);
  version = version.substr(0, version.find('\0'));
  std::string_view release = version.substr(0, version.find_first_of(" \t\n"));
  if (release.empty()) return make_error("bzImage kernel_version string is empty");
  for (char c : release) {
    if (c < 0x21 || c > 0x7e) return make_error("bzImage kernel_version string is not text");
  }
  return std::string(release);
}

Result<std::string> read_bzimage_release(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(fmt::format("open kernel {}", path.string()), errno);
  std::string bytes(kReadLimit, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read kernel {}", path.string()), errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return parse_bzimage_release(bytes).context(path.string());
}

}  // namespace wedge::image
