// Pure parsing of the agent's raw /proc samples into the numbers detectors and reports use
// (and the names of loaded modules), and their one-line JSON form (the run directory's agent
// samples file holds one per line).
//
//   MemSnapshot s = parse_sample(sample);
//   if (s.swap_total_kb > 0 && s.pswpout == prev.pswpout) ...  // swap-out stalled
//   append_file(run_dir / "samples.jsonl", to_json_line(s) + "\n");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/agent/messages.h"

namespace wedge::agent {

// Counters are cumulative since boot, as the kernel reports them. Missing keys read as 0.
struct MemSnapshot {
  uint64_t uptime_ms = 0;
  // /proc/meminfo, in kB
  uint64_t mem_total_kb = 0;
  uint64_t mem_free_kb = 0;
  uint64_t mem_available_kb = 0;
  uint64_t cached_kb = 0;
  uint64_t anon_pages_kb = 0;
  uint64_t shmem_kb = 0;
  uint64_t mlocked_kb = 0;
  uint64_t dirty_kb = 0;
  uint64_t writeback_kb = 0;
  uint64_t swap_total_kb = 0;
  uint64_t swap_free_kb = 0;
  uint64_t swap_cached_kb = 0;
  // /proc/vmstat
  uint64_t pswpin = 0;
  uint64_t pswpout = 0;
  uint64_t pgmajfault = 0;
  uint64_t pgscan_kswapd = 0;
  uint64_t pgscan_direct = 0;
  uint64_t pgsteal_kswapd = 0;
  uint64_t pgsteal_direct = 0;
  uint64_t allocstall = 0;  // sum of allocstall_* zones
  uint64_t oom_kill = 0;
  uint64_t nr_dirty = 0;
  uint64_t nr_writeback = 0;
  uint64_t nr_free_pages = 0;
  uint64_t workingset_refault_anon = 0;
  uint64_t workingset_refault_file = 0;
  // /proc/pressure/{memory,io}: avg10 in percent, totals in microseconds
  double psi_memory_some_avg10 = 0;
  double psi_memory_full_avg10 = 0;
  uint64_t psi_memory_some_total_us = 0;
  uint64_t psi_memory_full_total_us = 0;
  double psi_io_some_avg10 = 0;
  double psi_io_full_avg10 = 0;
  uint64_t psi_io_some_total_us = 0;
  uint64_t psi_io_full_total_us = 0;
  bool operator==(const MemSnapshot&) const = default;
};

// Parses every file of a Sample. Never throws; malformed lines are ignored.
[[nodiscard]] MemSnapshot parse_sample(const Sample& sample);

// The value of a "Key:   123 kB" line of /proc/meminfo text (0 if absent).
[[nodiscard]] uint64_t meminfo_value(std::string_view meminfo, std::string_view key);
// The value of a "key 123" line of /proc/vmstat text (0 if absent).
[[nodiscard]] uint64_t vmstat_value(std::string_view vmstat, std::string_view key);

// The names of the modules in /proc/modules text ("nbd 65536 0 - Live 0xffffffffc0353000"),
// in the order listed (newest first); the first word of each line.
[[nodiscard]] std::vector<std::string> module_names(std::string_view proc_modules);

// One compact JSON object with every MemSnapshot field, keys named as the members; no
// trailing newline.
[[nodiscard]] std::string to_json_line(const MemSnapshot& snapshot);

}  // namespace wedge::agent
