// Pure parsing of the agent's raw /proc samples into the numbers detectors and reports use
// (and the names of loaded modules), and their one-line JSON form (the run directory's agent
// samples file holds one per line). Also the files the host has the agent watch (the workload
// cgroup's memory.*, the storage device's inflight and stat) and their parsing.
//
//   WEDGE_TRY(frame, enc.encode_watch(req, watched_paths(kCgroupDir, "/dev/nbd0")));
//   MemSnapshot s = parse_sample(sample);
//   if (s.swap_total_kb > 0 && s.pswpout == prev.pswpout) ...  // swap-out stalled
//   append_file(run_dir / "samples.jsonl", to_json_line(s) + "\n");
#pragma once

#include <cstdint>
#include <optional>
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
  // The workload cgroup (watched files; absent when the run has no cgroup or the file could
  // not be read): memory.current and memory.swap.current in bytes, memory.events counts.
  std::optional<uint64_t> cgroup_memory_current_bytes;
  std::optional<uint64_t> cgroup_swap_current_bytes;
  std::optional<uint64_t> cgroup_events_low;
  std::optional<uint64_t> cgroup_events_high;
  std::optional<uint64_t> cgroup_events_max;
  std::optional<uint64_t> cgroup_events_oom;
  std::optional<uint64_t> cgroup_events_oom_kill;
  // The storage's block device (/sys/class/block/NAME/{inflight,stat}; empty name: none).
  std::string block_device;
  std::optional<uint64_t> block_inflight_reads;
  std::optional<uint64_t> block_inflight_writes;
  std::optional<uint64_t> block_sectors_read;  // 512-byte sectors since the device appeared
  std::optional<uint64_t> block_sectors_written;
  bool operator==(const MemSnapshot&) const = default;
};

// The files a sample should carry for a workload cgroup directory ("" if none) and a block
// device ("/dev/nbd0", "/dev/md0"; "" if none): memory.current, memory.swap.current and
// memory.events, then /sys/class/block/NAME/inflight and stat. A device whose name is not
// a plain kernel name (letters, digits, '_', '-', '.', ':', at most 32) is left out.
[[nodiscard]] std::vector<std::string> watched_paths(std::string_view cgroup_dir,
                                                     std::string_view block_device);

// One number alone in a file ("123\n", as memory.current holds); nullopt if it is not one.
[[nodiscard]] std::optional<uint64_t> single_number(std::string_view text);

struct MemoryEvents {
  uint64_t low = 0, high = 0, max = 0, oom = 0, oom_kill = 0;
  bool operator==(const MemoryEvents&) const = default;
};
// memory.events text ("low 0\nhigh 3\n..."); nullopt if it holds none of the five keys.
[[nodiscard]] std::optional<MemoryEvents> parse_memory_events(std::string_view text);

struct BlockInflight {
  uint64_t reads = 0, writes = 0;
  bool operator==(const BlockInflight&) const = default;
};
// /sys/block/X/inflight ("       0        3\n"); nullopt unless it holds two numbers.
[[nodiscard]] std::optional<BlockInflight> parse_block_inflight(std::string_view text);

struct BlockStat {
  uint64_t sectors_read = 0, sectors_written = 0;
  bool operator==(const BlockStat&) const = default;
};
// /sys/block/X/stat (Documentation/block/stat.rst: sectors read is field 3, sectors written
// field 7); nullopt with fewer than 7 numbers.
[[nodiscard]] std::optional<BlockStat> parse_block_stat(std::string_view text);

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
// trailing newline. Absent optional fields (and an empty block_device) are left out.
[[nodiscard]] std::string to_json_line(const MemSnapshot& snapshot);

}  // namespace wedge::agent
