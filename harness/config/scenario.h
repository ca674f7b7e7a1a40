// The scenario model: what one wedge run does (guest, storage, workload, limits), as loaded
// from a TOML scenario file. Plain data; loading and validation live in load_scenario.h.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wedge::config {

struct GuestConfig {
  int memory_mib = 256;
  int vcpus = 1;
  std::string kernel = "default";  // "default" (Debian cloud kernel) or a path to a bzImage
  std::string modules;             // directory holding lib/modules/<release>, for a custom kernel
  std::string cmdline;             // extra kernel arguments
};

struct StorageConfig {
  std::string transport = "nbd";
  std::string server = "nbd-server";  // or "nbdkit"
  std::string server_binary;          // a specific server executable (a patched build); empty: PATH
  int size_mib = 1024;
  std::string use = "swap";
};

struct WorkloadConfig {
  std::string kind = "swap-hog";             // or "command"
  int size_mib = 600;                        // swap-hog: how much memory to allocate and touch
  bool verify = true;                        // swap-hog: read everything back and check the pattern
  std::vector<std::string> argv;             // command: the program and its arguments (no shell)
  std::vector<std::filesystem::path> files;  // command: host files copied to /extra in the guest
};

struct LimitsConfig {
  int duration_s = 300;  // hard limit for the whole run
  int stall_s = 10;      // no progress this long (guest time under TCG, scaled) = hang
  bool oom_ok = false;   // is the OOM killer an acceptable outcome?
};

struct Scenario {
  std::string name;
  std::string description;
  GuestConfig guest;
  StorageConfig storage;
  WorkloadConfig workload;
  LimitsConfig limits;
  std::filesystem::path source;  // the file it came from (empty for built-ins given as text)
};

}  // namespace wedge::config
