// What libvirt's own per-domain log (/var/log/libvirt/qemu/<name>.log) says about how a guest
// ended: libvirt's "shutting down, reason=crashed" line and QEMU's last words ("terminating on
// signal 15 from pid 123 (bash)", an assertion). A transient guest that stopped no longer
// exists in libvirt, so this is where the reason survives. Parsing is pure; reading keeps an
// offset so that only this guest's lines count, not an earlier guest's of the same name.
//
//   DomainLog log(domain_log_path(name));    // remembers the current end of the file
//   ...
//   DomainEnd end = parse_domain_end(log.read_new());
//   end.reason;   // "crashed"
//   end.detail;   // "qemu-system-x86_64: terminating on signal 9 from pid 4242 (kill)"
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace wedge::vm {

// $WEDGE_LIBVIRT_LOG_DIR, else libvirt's system log directory for QEMU domains.
[[nodiscard]] std::filesystem::path domain_log_path(const std::string& name);

struct DomainEnd {
  std::string reason;  // from "shutting down, reason=X" ("" when not there yet)
  std::string detail;  // QEMU's last line about why it ended, without the timestamp
  // True when QEMU said it was told to stop by a signal (so the host, not the guest, ended it).
  bool host_signal = false;
};

[[nodiscard]] DomainEnd parse_domain_end(std::string_view log_text);

class DomainLog {
 public:
  explicit DomainLog(std::filesystem::path path);
  // Everything appended since construction (at most the last 64 KiB of it).
  [[nodiscard]] std::string read_new() const;

 private:
  std::filesystem::path path_;
  off_t start_ = 0;
};

}  // namespace wedge::vm
