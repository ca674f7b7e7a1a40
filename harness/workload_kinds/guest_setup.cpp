// Implementation of guest_setup.h.
#include "harness/workload_kinds/guest_setup.h"

#include <charconv>

#include "harness/config/sysctl_keys.h"

namespace wedge::workloads {

namespace {
std::string bytes_of(int mib) { return std::to_string(static_cast<long long>(mib) << 20); }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}
}  // namespace

Status make_workload_cgroup(storage::GuestOps& guest, const config::MemoryConfig& memory) {
  WEDGE_CHECK(guest.write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory")
                  .context("enabling the memory controller"));
  if (auto made = guest.run({"/bin/busybox", "mkdir", "-p", kCgroupDir}); !made) {
    return made.error();
  }
  const std::string dir = kCgroupDir;
  if (memory.max_mib > 0) {
    WEDGE_CHECK(guest.write_file(dir + "/memory.max", bytes_of(memory.max_mib)));
  }
  if (memory.high_mib > 0) {
    WEDGE_CHECK(guest.write_file(dir + "/memory.high", bytes_of(memory.high_mib)));
  }
  if (memory.swap_max_mib >= 0) {
    WEDGE_CHECK(guest.write_file(dir + "/memory.swap.max", bytes_of(memory.swap_max_mib)));
  }
  return ok_status();
}

std::vector<std::string> in_cgroup(const std::vector<std::string>& argv) {
  std::vector<std::string> out = {"/init", "cgroup-exec", kCgroupDir};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Result<std::vector<reports::SysctlNumbers>> apply_sysctls(
    storage::GuestOps& guest, const std::vector<config::SysctlSetting>& settings) {
  std::vector<reports::SysctlNumbers> out;
  for (const config::SysctlSetting& set : settings) {
    std::string path = config::sysctl_path(set.key);
    WEDGE_CHECK(guest.write_file(path, std::to_string(set.value))
                    .context(fmt::format("setting {} = {}", set.key, set.value)));
    WEDGE_TRY(std::string back, guest.read_file(path, 64));
    out.push_back({set.key, set.value, std::string(trimmed(back))});
  }
  return out;
}

std::vector<std::pair<std::string, uint64_t>> parse_memory_events(std::string_view text) {
  std::vector<std::pair<std::string, uint64_t>> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    uint64_t count = 0;
    std::string_view number = line.substr(sp + 1);
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (ec != std::errc() || ptr != number.data() + number.size()) continue;
    out.emplace_back(std::string(line.substr(0, sp)), count);
  }
  return out;
}

}  // namespace wedge::workloads
