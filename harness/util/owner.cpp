// Implementation of owner.h on /proc.
#include "harness/util/owner.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/text.h"

namespace wedge {

namespace {

std::string read_boot_id() {
  auto text = read_file("/proc/sys/kernel/random/boot_id");
  if (!text) return "";
  return std::string(trim_end(*text));
}

// The value of "key=" in a space-separated "a=1 b=2" text.
std::optional<std::string_view> field(std::string_view text, std::string_view key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(' ', at);
    std::string_view word = text.substr(at, end == std::string_view::npos ? end : end - at);
    if (word.size() > key.size() && word.starts_with(key) && word[key.size()] == '=') {
      return word.substr(key.size() + 1);
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return std::nullopt;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string Owner::to_string() const {
  return fmt::format("pid={} start={} boot={}", pid, start_ticks, boot_id);
}

const Owner& self_owner() {
  static const Owner self = [] {
    Owner o;
    o.pid = ::getpid();
    auto start = process_start_ticks(o.pid);
    o.start_ticks = start ? *start : 0;
    o.boot_id = read_boot_id();
    return o;
  }();
  return self;
}

std::optional<Owner> parse_owner(std::string_view text) {
  auto pid_text = field(text, "pid");
  if (!pid_text) return std::nullopt;
  auto pid = number<pid_t>(*pid_text);
  if (!pid || *pid <= 0) return std::nullopt;
  Owner o;
  o.pid = *pid;
  if (auto start = field(text, "start")) {
    auto ticks = number<uint64_t>(*start);
    if (!ticks) return std::nullopt;
    o.start_ticks = *ticks;
  }
  if (auto boot = field(text, "boot")) o.boot_id = std::string(*boot);
  return o;
}

Result<ProcStat> parse_proc_stat(std::string_view line) {
  size_t close = line.rfind(')');
  if (close == std::string_view::npos || close + 2 >= line.size()) {
    return make_error("not a /proc/PID/stat line");
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = line.substr(close + 2);
  while (!rest.empty() && fields.size() < 20) {
    size_t end = rest.find(' ');
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  if (fields.size() < 20 || fields[0].size() != 1) return make_error("short /proc/PID/stat line");
  ProcStat stat;
  stat.state = fields[0][0];
  auto pgid = number<pid_t>(fields[2]);       // field 5
  auto start = number<uint64_t>(fields[19]);  // field 22
  if (!pgid || !start) return make_error("unreadable /proc/PID/stat fields");
  stat.pgid = *pgid;
  stat.start_ticks = *start;
  return stat;
}

namespace {

Result<ProcStat> read_proc_stat(pid_t pid) {
  WEDGE_TRY(std::string line, read_file(fmt::format("/proc/{}/stat", pid)));
  return parse_proc_stat(line).context(fmt::format("/proc/{}/stat", pid));
}

}  // namespace

Result<uint64_t> process_start_ticks(pid_t pid) {
  WEDGE_TRY(ProcStat stat, read_proc_stat(pid));
  return stat.start_ticks;
}

Result<char> process_state(pid_t pid) {
  WEDGE_TRY(ProcStat stat, read_proc_stat(pid));
  return stat.state;
}

bool owner_alive(const Owner& owner) {
  if (!owner.boot_id.empty() && owner.boot_id != self_owner().boot_id) return false;
  auto stat = read_proc_stat(owner.pid);
  if (!stat) return false;
  if (stat->state == 'Z') return false;
  return owner.start_ticks == 0 || stat->start_ticks == owner.start_ticks;
}

void mark_children_as_ours() { ::setenv(kOwnerEnv, self_owner().to_string().c_str(), 1); }

}  // namespace wedge
