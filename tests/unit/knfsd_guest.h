// A guest for knfsd and nfs-loopback tests: every driver is loaded, commands succeed, writes
// are recorded, and nfsd listens on TCP 2049 once its threads file was written.
//
//   KnfsdGuest guest;
//   guest.failing = "/proc/fs/nfsd/threads";   // that write fails
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/storage/guest_ops.h"

namespace wedge::storage {

// `failing` names a path whose write fails.
class KnfsdGuest final : public GuestOps {
 public:
  Result<std::string> run(const std::vector<std::string>& argv) override {
    commands.push_back(argv);
    events.push_back(argv[0] == "/bin/busybox" && argv.size() > 1 ? argv[1] : argv[0]);
    return std::string();
  }
  Result<uint32_t> start(const std::string&, const std::vector<std::string>&) override {
    return make_error("nothing starts here");
  }
  std::optional<std::string> exited(uint32_t) override { return std::nullopt; }
  Status write_file(const std::string& path, const std::string& data) override {
    if (path == failing) return make_error("write {}: Device or resource busy", path);
    written.emplace_back(path, data);
    events.push_back(path);
    return ok_status();
  }
  Result<std::string> read_file(const std::string& path, size_t) override {
    if (path == "/proc/sys/kernel/osrelease") return std::string("6.1.0-1-cloud-amd64\n");
    if (path == "/proc/modules") {
      return std::string(
          "nfsd 1 0 - Live 0\next4 1 0 - Live 0\nvirtio_blk 1 0 - Live 0\nnfsv4 1 0 - Live 0\n");
    }
    if (path == "/proc/mounts") return std::string("proc /proc proc rw 0 0\n");
    if (path == "/proc/net/tcp") {
      const bool threads = std::any_of(written.begin(), written.end(), [](const auto& w) {
        return w.first == "/proc/fs/nfsd/threads";
      });
      std::string tcp = "  sl  local_address rem_address   st\n";
      // 0.0.0.0:2049 (0801) in LISTEN (0A)
      if (threads) tcp += "   0: 00000000:0801 00000000:0000 0A\n";
      return tcp;
    }
    return make_error("open {}: No such file or directory", path);
  }
  void wait(std::chrono::milliseconds) override {}
  void say(const std::string& line) override { said.push_back(line); }
  std::chrono::milliseconds command_timeout() const override {
    return std::chrono::milliseconds(200);
  }

  std::string failing;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::pair<std::string, std::string>> written;
  std::vector<std::string> said;
  // Commands (busybox applet, or the program) and written paths, in the order they came.
  std::vector<std::string> events;
};

}  // namespace wedge::storage
