// A guest for transport and driver tests made of files and folder listings: read_file answers
// from `files`, `ls -1 DIR` from `folders`, every other command succeeds; each command, file
// write and line said is recorded for the test to check.
//
//   ScriptedGuest guest({{"/proc/sys/kernel/osrelease", "6.1.0-57-amd64\n"}});
//   guest.folders["/sys/module"] = "printk\nnbd\n";
//   EXPECT_TRUE(ensure_driver(guest, nbd).ok());  EXPECT_TRUE(guest.commands.empty());
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/storage/guest_ops.h"

namespace wedge::storage {

class ScriptedGuest final : public GuestOps {
 public:
  explicit ScriptedGuest(std::map<std::string, std::string> initial_files = {})
      : files(std::move(initial_files)) {}

  Result<std::string> run(const std::vector<std::string>& argv) override {
    commands.push_back(argv);
    if (argv.size() == 4 && argv[1] == "ls") {
      auto found = folders.find(argv[3]);
      if (found == folders.end()) return make_error("ls: {}: No such file or directory", argv[3]);
      return found->second;
    }
    return std::string();
  }
  Result<uint32_t> start(const std::string&, const std::vector<std::string>&) override {
    return make_error("a scripted guest starts nothing");
  }
  std::optional<std::string> exited(uint32_t) override { return std::nullopt; }
  Status write_file(const std::string& path, const std::string& data) override {
    writes.emplace_back(path, data);
    return ok_status();
  }
  Result<std::string> read_file(const std::string& path, size_t) override {
    auto found = files.find(path);
    if (found == files.end()) return make_error("open {}: No such file or directory", path);
    return found->second;
  }
  void wait(std::chrono::milliseconds) override {}
  void say(const std::string& line) override { said.push_back(line); }
  [[nodiscard]] std::chrono::milliseconds command_timeout() const override {
    return std::chrono::milliseconds(1000);
  }

  std::map<std::string, std::string> files;
  std::map<std::string, std::string> folders;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> said;
  std::vector<std::pair<std::string, std::string>> writes;  // path, data, in order
};

}  // namespace wedge::storage
