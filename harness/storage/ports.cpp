// Implementation of ports.h.
#include "harness/storage/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "harness/storage/proc_net_tcp.h"
#include "harness/util/files.h"

namespace wedge::storage {

std::string log_tail(const std::filesystem::path& log, size_t lines) {
  auto text = read_file(log);
  if (!text) return "";
  std::string_view view = *text;
  while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) view.remove_suffix(1);
  size_t start = view.size();
  for (size_t found = 0; start > 0 && found < lines;) {
    --start;
    if (view[start] == '\n' && ++found == lines) {
      ++start;
      break;
    }
  }
  return std::string(view.substr(start));
}

Status wait_until_listening(int port, ChildProcess& child, const std::filesystem::path& log,
                            std::chrono::milliseconds timeout) {
  auto describe_log = [&log] {
    std::string tail = log_tail(log);
    return tail.empty() ? fmt::format("{} is empty", log.string())
                        : fmt::format("last lines of {}:\n{}", log.string(), tail);
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    WEDGE_TRY(bool listening, loopback_port_listening(port));
    if (listening && child.running()) return ok_status();
    if (!child.running()) {
      return make_error("{} exited ({}) before listening on 127.0.0.1:{}; {}", child.name(),
                        child.exit_status().value_or(ExitStatus{}).describe(), port,
                        describe_log());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error("{} did not listen on 127.0.0.1:{} within {} ms; {}", child.name(), port,
                        timeout.count(), describe_log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace wedge::storage
