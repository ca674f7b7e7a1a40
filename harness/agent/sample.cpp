// Implementation of sample.h: line scanning with std::from_chars, JSON via nlohmann.
#include "harness/agent/sample.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace wedge::agent {

namespace {
// Calls fn(key, rest) for every line "key<sep>rest" of text.
template <class Fn>
void for_each_line(std::string_view text, char sep, Fn fn) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t cut = line.find(sep);
    if (cut == std::string_view::npos || cut == 0) continue;
    fn(line.substr(0, cut), line.substr(cut + 1));
  }
}

uint64_t leading_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  (void)ptr;
  return ec == std::errc() ? v : 0;
}

double parse_double(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  (void)ptr;
  return ec == std::errc() ? v : 0;
}

// The whitespace-separated numbers at the start of text, at most max of them; stops at the
// first word that is not a number.
std::vector<uint64_t> leading_numbers(std::string_view text, size_t max) {
  std::vector<uint64_t> out;
  while (out.size() < max) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n'))
      text.remove_prefix(1);
    if (text.empty()) break;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    size_t used = static_cast<size_t>(ptr - text.data());
    if (ec != std::errc() ||
        (used < text.size() && text[used] != ' ' && text[used] != '\t' && text[used] != '\n')) {
      break;
    }
    out.push_back(v);
    text.remove_prefix(used);
  }
  return out;
}

bool is_kernel_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string_view last_component(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Fills the snapshot's cgroup and block fields from one watched file, chosen by its path.
void absorb_watched(const WatchedFile& file, MemSnapshot& s) {
  std::string_view path = file.path;
  std::string_view base = last_component(path);
  std::string_view dir = path.substr(0, path.size() - base.size());
  if (!dir.empty()) dir.remove_suffix(1);
  if (base == "memory.current") {
    s.cgroup_memory_current_bytes = single_number(file.text);
  } else if (base == "memory.swap.current") {
    s.cgroup_swap_current_bytes = single_number(file.text);
  } else if (base == "memory.events") {
    if (auto e = parse_memory_events(file.text)) {
      s.cgroup_events_low = e->low;
      s.cgroup_events_high = e->high;
      s.cgroup_events_max = e->max;
      s.cgroup_events_oom = e->oom;
      s.cgroup_events_oom_kill = e->oom_kill;
    }
  } else if (base == "inflight" || base == "stat") {
    // .../block/NAME/{inflight,stat}
    std::string_view name = last_component(dir);
    std::string_view parent = dir.substr(0, dir.size() - name.size());
    if (!is_kernel_name(name) || !parent.ends_with("/block/")) return;
    if (base == "inflight") {
      auto v = parse_block_inflight(file.text);
      if (!v) return;
      s.block_inflight_reads = v->reads;
      s.block_inflight_writes = v->writes;
    } else {
      auto v = parse_block_stat(file.text);
      if (!v) return;
      s.block_sectors_read = v->sectors_read;
      s.block_sectors_written = v->sectors_written;
    }
    s.block_device = std::string(name);
  }
}

struct PsiLine {
  double avg10 = 0;
  uint64_t total_us = 0;
};

// "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" -> the kind's avg10 and total.
PsiLine psi_line(std::string_view text, std::string_view kind) {
  PsiLine out;
  for_each_line(text, ' ', [&](std::string_view key, std::string_view rest) {
    if (key != kind) return;
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      std::string_view item = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
      if (name == "avg10") out.avg10 = parse_double(value);
      if (name == "total") out.total_us = leading_number(value);
    }
  });
  return out;
}
}  // namespace

std::vector<std::string> watched_paths(std::string_view cgroup_dir, std::string_view block_device) {
  std::vector<std::string> out;
  if (!cgroup_dir.empty()) {
    for (const char* file : {"memory.current", "memory.swap.current", "memory.events"}) {
      out.push_back(std::string(cgroup_dir) + "/" + file);
    }
  }
  std::string_view name = last_component(block_device);
  if (is_kernel_name(name)) {
    for (const char* file : {"inflight", "stat"}) {
      out.push_back("/sys/class/block/" + std::string(name) + "/" + file);
    }
  }
  return out;
}

std::optional<uint64_t> single_number(std::string_view text) {
  std::vector<uint64_t> v = leading_numbers(text, 2);
  if (v.size() != 1) return std::nullopt;
  return v[0];
}

std::optional<MemoryEvents> parse_memory_events(std::string_view text) {
  MemoryEvents e;
  bool any = false;
  for_each_line(text, ' ', [&](std::string_view key, std::string_view rest) {
    auto v = single_number(rest);
    if (!v) return;
    uint64_t* slot = key == "low"        ? &e.low
                     : key == "high"     ? &e.high
                     : key == "max"      ? &e.max
                     : key == "oom"      ? &e.oom
                     : key == "oom_kill" ? &e.oom_kill
                                         : nullptr;
    if (!slot) return;
    *slot = *v;
    any = true;
  });
  if (!any) return std::nullopt;
  return e;
}

std::optional<BlockInflight> parse_block_inflight(std::string_view text) {
  std::vector<uint64_t> v = leading_numbers(text, 2);
  if (v.size() != 2) return std::nullopt;
  return BlockInflight{v[0], v[1]};
}

std::optional<BlockStat> parse_block_stat(std::string_view text) {
  std::vector<uint64_t> v = leading_numbers(text, 7);
  if (v.size() != 7) return std::nullopt;
  return BlockStat{v[2], v[6]};
}

uint64_t meminfo_value(std::string_view meminfo, std::string_view key) {
  uint64_t value = 0;
  for_each_line(meminfo, ':', [&](std::string_view k, std::string_view rest) {
    if (k == key) value = leading_number(rest);
  });
  return value;
}

uint64_t vmstat_value(std::string_view vmstat, std::string_view key) {
  uint64_t value = 0;
  for_each_line(vmstat, ' ', [&](std::string_view k, std::string_view rest) {
    if (k == key) value = leading_number(rest);
  });
  return value;
}

MemSnapshot parse_sample(const Sample& sample) {
  MemSnapshot s;
  s.uptime_ms = sample.uptime_ms;
  for_each_line(sample.meminfo, ':', [&s](std::string_view key, std::string_view rest) {
    uint64_t* slot = nullptr;
    if (key == "MemTotal")
      slot = &s.mem_total_kb;
    else if (key == "MemFree")
      slot = &s.mem_free_kb;
    else if (key == "MemAvailable")
      slot = &s.mem_available_kb;
    else if (key == "Cached")
      slot = &s.cached_kb;
    else if (key == "AnonPages")
      slot = &s.anon_pages_kb;
    else if (key == "Shmem")
      slot = &s.shmem_kb;
    else if (key == "Mlocked")
      slot = &s.mlocked_kb;
    else if (key == "Dirty")
      slot = &s.dirty_kb;
    else if (key == "Writeback")
      slot = &s.writeback_kb;
    else if (key == "SwapTotal")
      slot = &s.swap_total_kb;
    else if (key == "SwapFree")
      slot = &s.swap_free_kb;
    else if (key == "SwapCached")
      slot = &s.swap_cached_kb;
    if (slot) *slot = leading_number(rest);
  });
  for_each_line(sample.vmstat, ' ', [&s](std::string_view key, std::string_view rest) {
    uint64_t value = leading_number(rest);
    if (key.starts_with("allocstall_")) {
      s.allocstall += value;
      return;
    }
    uint64_t* slot = nullptr;
    if (key == "pswpin")
      slot = &s.pswpin;
    else if (key == "pswpout")
      slot = &s.pswpout;
    else if (key == "pgmajfault")
      slot = &s.pgmajfault;
    else if (key == "pgscan_kswapd")
      slot = &s.pgscan_kswapd;
    else if (key == "pgscan_direct")
      slot = &s.pgscan_direct;
    else if (key == "pgsteal_kswapd")
      slot = &s.pgsteal_kswapd;
    else if (key == "pgsteal_direct")
      slot = &s.pgsteal_direct;
    else if (key == "oom_kill")
      slot = &s.oom_kill;
    else if (key == "nr_dirty")
      slot = &s.nr_dirty;
    else if (key == "nr_writeback")
      slot = &s.nr_writeback;
    else if (key == "nr_free_pages")
      slot = &s.nr_free_pages;
    else if (key == "workingset_refault_anon")
      slot = &s.workingset_refault_anon;
    else if (key == "workingset_refault_file")
      slot = &s.workingset_refault_file;
    if (slot) *slot = value;
  });
  PsiLine mem_some = psi_line(sample.psi_memory, "some");
  PsiLine mem_full = psi_line(sample.psi_memory, "full");
  PsiLine io_some = psi_line(sample.psi_io, "some");
  PsiLine io_full = psi_line(sample.psi_io, "full");
  s.psi_memory_some_avg10 = mem_some.avg10;
  s.psi_memory_full_avg10 = mem_full.avg10;
  s.psi_memory_some_total_us = mem_some.total_us;
  s.psi_memory_full_total_us = mem_full.total_us;
  s.psi_io_some_avg10 = io_some.avg10;
  s.psi_io_full_avg10 = io_full.avg10;
  s.psi_io_some_total_us = io_some.total_us;
  s.psi_io_full_total_us = io_full.total_us;
  for (const auto& file : sample.watched) absorb_watched(file, s);
  return s;
}

std::vector<std::string> module_names(std::string_view proc_modules) {
  std::vector<std::string> names;
  while (!proc_modules.empty()) {
    size_t eol = proc_modules.find('\n');
    std::string_view line = proc_modules.substr(0, eol);
    proc_modules =
        eol == std::string_view::npos ? std::string_view() : proc_modules.substr(eol + 1);
    std::string_view name = line.substr(0, line.find(' '));
    // A line cut off by the agent's buffer has no size after the name.
    if (!name.empty() && name.size() < line.size()) names.emplace_back(name);
  }
  return names;
}

std::string to_json_line(const MemSnapshot& s) {
  nlohmann::ordered_json j;
#define WEDGE_FIELD(name) j[#name] = s.name
  WEDGE_FIELD(uptime_ms);
  WEDGE_FIELD(mem_total_kb);
  WEDGE_FIELD(mem_free_kb);
  WEDGE_FIELD(mem_available_kb);
  WEDGE_FIELD(cached_kb);
  WEDGE_FIELD(anon_pages_kb);
  WEDGE_FIELD(shmem_kb);
  WEDGE_FIELD(mlocked_kb);
  WEDGE_FIELD(dirty_kb);
  WEDGE_FIELD(writeback_kb);
  WEDGE_FIELD(swap_total_kb);
  WEDGE_FIELD(swap_free_kb);
  WEDGE_FIELD(swap_cached_kb);
  WEDGE_FIELD(pswpin);
  WEDGE_FIELD(pswpout);
  WEDGE_FIELD(pgmajfault);
  WEDGE_FIELD(pgscan_kswapd);
  WEDGE_FIELD(pgscan_direct);
  WEDGE_FIELD(pgsteal_kswapd);
  WEDGE_FIELD(pgsteal_direct);
  WEDGE_FIELD(allocstall);
  WEDGE_FIELD(oom_kill);
  WEDGE_FIELD(nr_dirty);
  WEDGE_FIELD(nr_writeback);
  WEDGE_FIELD(nr_free_pages);
  WEDGE_FIELD(workingset_refault_anon);
  WEDGE_FIELD(workingset_refault_file);
  WEDGE_FIELD(psi_memory_some_avg10);
  WEDGE_FIELD(psi_memory_full_avg10);
  WEDGE_FIELD(psi_memory_some_total_us);
  WEDGE_FIELD(psi_memory_full_total_us);
  WEDGE_FIELD(psi_io_some_avg10);
  WEDGE_FIELD(psi_io_full_avg10);
  WEDGE_FIELD(psi_io_some_total_us);
  WEDGE_FIELD(psi_io_full_total_us);
#undef WEDGE_FIELD
#define WEDGE_OPTIONAL(name) \
  if (s.name) j[#name] = *s.name
  WEDGE_OPTIONAL(cgroup_memory_current_bytes);
  WEDGE_OPTIONAL(cgroup_swap_current_bytes);
  WEDGE_OPTIONAL(cgroup_events_low);
  WEDGE_OPTIONAL(cgroup_events_high);
  WEDGE_OPTIONAL(cgroup_events_max);
  WEDGE_OPTIONAL(cgroup_events_oom);
  WEDGE_OPTIONAL(cgroup_events_oom_kill);
  if (!s.block_device.empty()) j["block_device"] = s.block_device;
  WEDGE_OPTIONAL(block_inflight_reads);
  WEDGE_OPTIONAL(block_inflight_writes);
  WEDGE_OPTIONAL(block_sectors_read);
  WEDGE_OPTIONAL(block_sectors_written);
#undef WEDGE_OPTIONAL
  return j.dump();
}

}  // namespace wedge::agent
