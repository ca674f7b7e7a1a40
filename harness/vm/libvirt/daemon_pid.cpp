// Implementation of daemon_pid.h.
#include "harness/vm/libvirt/daemon_pid.h"

#include <charconv>
#include <string>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;

struct Candidate {
  const char* pid_file;  // under /run
  const char* comm;      // the process's name in /proc/PID/comm
};
constexpr Candidate kSystemDaemons[] = {{"libvirtd.pid", "libvirtd"},
                                        {"libvirt/virtqemud.pid", "virtqemud"}};

// The first line of a small file (a pid or a process name), without its newline; "" when
// unreadable or longer than any pid or name.
std::string first_line(const fs::path& file) {
  auto text = read_file(file);
  if (!text.ok()) return "";
  std::string line = text->substr(0, text->find('\n'));
  return line.size() <= 32 ? line : "";
}

}  // namespace

int libvirt_daemon_pid(std::string_view uri, const fs::path& run, const fs::path& proc) {
  // Query parameters (?socket=...) point at another daemon than the system's own.
  if (uri != "qemu:///system" && uri != "qemu:///system/") return 0;
  for (const Candidate& c : kSystemDaemons) {
    const std::string text = first_line(run / c.pid_file);
    int pid = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) continue;
    if (first_line(proc / std::to_string(pid) / "comm") == c.comm) return pid;
  }
  return 0;
}

}  // namespace wedge::vm
