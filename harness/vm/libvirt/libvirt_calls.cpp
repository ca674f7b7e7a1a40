// Implementation of libvirt_calls.h.
#include "harness/vm/libvirt/libvirt_calls.h"

#include <libvirt/virterror.h>

#include "harness/util/files.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge::vm {

namespace fs = std::filesystem;

namespace {

// Keepalive: a libvirtd that stops answering (hung, SIGSTOPped) fails our calls after about
// interval * (count + 1) seconds instead of blocking them forever.
constexpr int kKeepAliveIntervalS = 2;
constexpr unsigned kKeepAliveCount = 3;

}  // namespace

virConnectPtr open_connection(const std::string& uri) {
  virConnectPtr conn = virConnectOpen(uri.c_str());
  if (conn != nullptr) (void)virConnectSetKeepAlive(conn, kKeepAliveIntervalS, kKeepAliveCount);
  return conn;
}

// /proc works even when libvirt's own pid file is out of reach.
int find_qemu_pid(const std::string& name) {
  const std::string needle = fmt::format("guest={},", name);
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_file(it->path() / "cmdline");
    if (!cmdline || cmdline->find("qemu-system") == std::string::npos) continue;
    if (cmdline->find(needle) != std::string::npos) return std::stoi(pid);
  }
  return 0;
}

Error libvirt_error(std::string_view what) {
  const char* message = virGetLastErrorMessage();
  return make_error("{}: {}", what, message != nullptr ? message : "unknown libvirt error");
}

bool last_error_is_gone() {
  int code = virGetLastErrorCode();
  return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID;
}

std::string hypervisor_version(virConnectPtr conn) {
  unsigned long version = 0;
  if (virConnectGetVersion(conn, &version) != 0) return "unknown";
  return format_libvirt_version(version);
}

std::string daemon_libvirt_version(virConnectPtr conn) {
  unsigned long version = 0;
  if (virConnectGetLibVersion(conn, &version) != 0) return "unknown";
  return format_libvirt_version(version);
}

Status remove_stale(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return make_error("removing stale {}: {}", path.string(), ec.message());
  return ok_status();
}

Status ensure_parent(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return make_error("creating {}: {}", path.parent_path().string(), ec.message());
  return ok_status();
}

}  // namespace wedge::vm
