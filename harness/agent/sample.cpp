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
  return j.dump();
}

}  // namespace wedge::agent
