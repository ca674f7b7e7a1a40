// Implementation of domain_log.h.
#include "harness/vm/libvirt/domain_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "harness/util/files.h"

namespace wedge::vm {

namespace fs = std::filesystem;

namespace {

constexpr off_t kMaxTail = 64 << 10;

// "2026-11-25T13:49:05.937338Z qemu-system-x86_64: ..." -> "qemu-system-x86_64: ..."
std::string_view without_timestamp(std::string_view line) {
  if (line.size() > 20 && line[0] >= '0' && line[0] <= '9' && line[4] == '-') {
    size_t space = line.find(' ');
    // libvirt's own lines carry "date time+zone:"; QEMU's "dateTtimeZ ".
    if (space != std::string_view::npos &&
        line.substr(0, space).find('T') != std::string_view::npos) {
      return line.substr(space + 1);
    }
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos) return line.substr(colon + 2);
  }
  return line;
}

}  // namespace

fs::path domain_log_path(const std::string& name) {
  const char* env = std::getenv("WEDGE_LIBVIRT_LOG_DIR");
  fs::path dir = env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/var/log/libvirt/qemu");
  return dir / (name + ".log");
}

DomainEnd parse_domain_end(std::string_view text) {
  DomainEnd end;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? nl : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    if (size_t r = line.find("shutting down, reason="); r != std::string_view::npos) {
      std::string_view reason = line.substr(r + 22);
      end.reason = std::string(reason.substr(0, reason.find_first_of(" \r")));
      continue;
    }
    std::string_view body = without_timestamp(line);
    if (body.starts_with("qemu-system-") || body.starts_with("qemu: ") ||
        body.starts_with("qemu-kvm: ")) {
      end.detail = std::string(body);
      end.host_signal = body.find("terminating on signal") != std::string_view::npos;
    }
  }
  return end;
}

DomainLog::DomainLog(fs::path path) : path_(std::move(path)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) start_ = st.st_size;
}

std::string DomainLog::read_new() const {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return "";
  off_t from = st.st_size < start_ ? 0 : start_;  // rotated: read the new file
  if (st.st_size - from > kMaxTail) from = st.st_size - kMaxTail;
  std::string out(static_cast<size_t>(st.st_size - from), '\0');
  ssize_t n = ::pread(fd.get(), out.data(), out.size(), from);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace wedge::vm
