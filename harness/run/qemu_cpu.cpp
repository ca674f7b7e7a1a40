// Implementation of qemu_cpu.h: per-thread schedstat (nanoseconds) where the kernel has it,
// else utime + stime from stat (clock ticks).
#include "harness/run/qemu_cpu.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <system_error>

#include "harness/util/files.h"

namespace wedge::run {

namespace fs = std::filesystem;

namespace {

// The next unsigned number in text after skipping spaces; advances text past it.
std::optional<uint64_t> next_number(std::string_view& text) {
  size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) return std::nullopt;
  text.remove_prefix(start);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return value;
}

// The first line of a small /proc file, or nullopt.
std::optional<std::string> read_small(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  std::string out = std::move(*text);
  if (size_t nl = out.find('\n'); nl != std::string::npos) out.resize(nl);
  return out;
}

}  // namespace

std::optional<ThreadTimes> parse_schedstat(std::string_view text) {
  auto cpu_ns = next_number(text);
  auto wait_ns = next_number(text);
  if (!cpu_ns || !wait_ns) return std::nullopt;
  return ThreadTimes{static_cast<double>(*cpu_ns) / 1e9, static_cast<double>(*wait_ns) / 1e9};
}

std::optional<double> parse_stat_cpu_s(std::string_view text, long ticks_per_s) {
  // Fields after comm's closing parenthesis: state (3) ... utime (14), stime (15).
  size_t close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_s <= 0) return std::nullopt;
  text.remove_prefix(close + 1);
  size_t state = text.find_first_not_of(' ');
  if (state == std::string_view::npos) return std::nullopt;
  text.remove_prefix(state + 1);
  for (int field = 4; field <= 13; ++field) {
    if (!next_number(text)) {
      // ppid..cmajflt are numbers; a negative one (tty_nr, tpgid) still parses as a word.
      size_t word = text.find_first_not_of(' ');
      if (word == std::string_view::npos) return std::nullopt;
      text.remove_prefix(word);
      size_t end = text.find(' ');
      if (end == std::string_view::npos) return std::nullopt;
      text.remove_prefix(end);
    }
  }
  auto utime = next_number(text);
  auto stime = next_number(text);
  if (!utime || !stime) return std::nullopt;
  return static_cast<double>(*utime + *stime) / static_cast<double>(ticks_per_s);
}

bool is_vcpu_thread(std::string_view comm) {
  if (comm.substr(0, 4) != "CPU ") return false;
  size_t slash = comm.find('/');
  if (slash == std::string_view::npos || slash <= 4) return false;
  for (size_t i = 4; i < slash; ++i) {
    if (comm[i] < '0' || comm[i] > '9') return false;
  }
  return true;
}

std::optional<QemuCpu> read_qemu_cpu(pid_t pid, const fs::path& proc) {
  if (pid <= 0) return std::nullopt;
  const fs::path tasks = proc / std::to_string(pid) / "task";
  std::error_code ec;
  fs::directory_iterator it(tasks, ec);
  if (ec) return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  QemuCpu out;
  out.wait_known = true;
  int threads = 0;
  for (const auto& entry : it) {
    std::optional<double> cpu;
    double wait_s = 0;
    if (auto line = read_small(entry.path() / "schedstat")) {
      if (auto times = parse_schedstat(*line)) {
        cpu = times->cpu_s;
        wait_s = times->wait_s;
        out.wait_s += wait_s;
      }
    }
    if (!cpu) {
      out.wait_known = false;
      if (auto line = read_small(entry.path() / "stat")) cpu = parse_stat_cpu_s(*line, ticks);
    }
    if (!cpu) continue;  // the thread ended between listing and reading
    ++threads;
    out.cpu_s += *cpu;
    if (auto comm = read_small(entry.path() / "comm"); comm && is_vcpu_thread(*comm)) {
      out.vcpu_cpu_s += *cpu;
      out.vcpu_wait_s = std::max(out.vcpu_wait_s, wait_s);
      out.vcpus++;
    }
  }
  if (threads == 0) return std::nullopt;
  if (!out.wait_known) out.wait_s = out.vcpu_wait_s = 0;
  return out;
}

}  // namespace wedge::run
