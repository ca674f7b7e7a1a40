// Helpers shared by the integration tests that run the real `wedge` binary: run it, read its
// report.json, and check that a run left no domain, process or export file behind.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

inline json load_json(const fs::path& path) {
  auto text = read_file(path);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? json::parse(*text) : json();
}

// Processes whose command line mentions `needle` (servers started for a run name its dir).
inline std::vector<std::string> processes_mentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_file(entry.path() / "cmdline");
    if (!cmdline.ok()) continue;
    std::string line = *cmdline;
    std::replace(line.begin(), line.end(), '\0', ' ');
    if (line.find(needle) != std::string::npos && pid != std::to_string(::getpid())) {
      found.push_back(pid + ": " + line);
    }
  }
  return found;
}

inline void expect_nothing_leaked(const fs::path& run_dir) {
  auto backend = vm::LibvirtBackend::connect();
  ASSERT_TRUE(backend.ok()) << backend.error().message();
  auto domains = (*backend)->list_wedge_domains();
  ASSERT_TRUE(domains.ok());
  EXPECT_TRUE(domains->empty()) << "leftover domain " << domains->front();
  auto procs = processes_mentioning(run_dir.string());
  EXPECT_TRUE(procs.empty()) << "leftover process " << procs.front();
  EXPECT_FALSE(fs::exists(run_dir / "export.img")) << "export file left behind";
  EXPECT_FALSE(fs::exists(run_dir / "agent.sock")) << "agent socket left behind";
}

struct WedgeRun {
  ExitStatus status;
  std::string out;
  std::string err;
};

inline WedgeRun run_wedge(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {WEDGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, timeout);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return {};
  return {r->status, r->out, r->err};
}

class RunTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto d = TempDir::create("wedge-run-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }
  fs::path dir() const { return dir_->path(); }
  fs::path write_scenario(const std::string& name, const std::string& text) {
    fs::path p = dir() / (name + ".toml");
    EXPECT_TRUE(write_file_atomic(p, text).ok());
    return p;
  }
  std::unique_ptr<TempDir> dir_;
};

}  // namespace wedge
