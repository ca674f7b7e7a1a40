// Implementation of progress.h.
#include "harness/agent/progress.h"

#include <fmt/format.h>
#include <string.h>

#include <charconv>

namespace wedge::agent {

namespace {
// Parses a decimal number at the start of s and removes it; false if there is none.
bool take_number(std::string_view& s, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  return true;
}

std::string_view trim_line_end(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// "progress <done> <total>", leaving the rest in line; false if the numbers are not there.
bool take_done_total(std::string_view& line, uint64_t* done, uint64_t* total) {
  constexpr std::string_view kPrefix = "progress ";
  if (!line.starts_with(kPrefix)) return false;
  line.remove_prefix(kPrefix.size());
  if (!take_number(line, done) || !line.starts_with(' ')) return false;
  line.remove_prefix(1);
  return take_number(line, total);
}

std::string_view take_word(std::string_view& s) {
  size_t end = s.find(' ');
  std::string_view word = s.substr(0, end);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end + 1);
  return word;
}
}  // namespace

std::optional<Progress> parse_progress_line(std::string_view line) {
  line = trim_line_end(line);
  Progress p;
  if (!take_done_total(line, &p.done_mib, &p.total_mib) || !line.empty()) return std::nullopt;
  if (p.done_mib > p.total_mib) return std::nullopt;
  return p;
}

std::optional<Measure> parse_measure_line(std::string_view line) {
  line = trim_line_end(line);
  Measure m;
  if (!take_done_total(line, &m.done, &m.total)) return std::nullopt;
  if (m.total != 0 && m.done > m.total) return std::nullopt;
  if (line.empty()) return m;
  if (!line.starts_with(' ')) return std::nullopt;
  line.remove_prefix(1);
  std::string_view unit = take_word(line);
  if (unit.empty()) return std::nullopt;
  m.unit = unit;
  m.phase = line;
  return m;
}

std::optional<DataFinding> parse_finding_line(std::string_view line) {
  line = trim_line_end(line);
  constexpr std::string_view kPrefix = "finding ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  DataFinding f;
  f.kind = take_word(line);
  if (f.kind != "data_loss" && f.kind != "io_error") return std::nullopt;
  while (!line.empty()) {
    std::string_view pair = take_word(line);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    uint64_t number = 0;
    auto number_of = [&](uint64_t* out) { return take_number(value, out) && value.empty(); };
    if (key == "file") {
      f.file = value;
    } else if (key == "offset") {
      if (!number_of(&f.offset)) return std::nullopt;
    } else if (key == "length") {
      if (!number_of(&f.length)) return std::nullopt;
    } else if (key == "syscall") {
      f.syscall = value;
    } else if (key == "errno") {
      if (!number_of(&number) || number > 4095) return std::nullopt;
      f.error = static_cast<int>(number);
    } else if (key == "what") {
      f.what = value;
      for (char& c : f.what) c = c == '_' ? ' ' : c;
    } else {
      return std::nullopt;
    }
  }
  if (f.file.empty()) return std::nullopt;
  return f;
}

std::optional<WorkloadFile> parse_file_line(std::string_view line) {
  line = trim_line_end(line);
  constexpr std::string_view kPath = "file path=", kInode = " inode=";
  if (!line.starts_with(kPath)) return std::nullopt;
  line.remove_prefix(kPath.size());
  size_t inode_at = line.rfind(kInode);
  if (inode_at == std::string_view::npos || inode_at == 0) return std::nullopt;
  WorkloadFile f;
  f.path = line.substr(0, inode_at);
  std::string_view number = line.substr(inode_at + kInode.size());
  if (!take_number(number, &f.inode) || !number.empty()) return std::nullopt;
  return f;
}

std::string describe(const DataFinding& f) {
  if (f.kind == "io_error") {
    return fmt::format("{} {} at offset {}, {} bytes: {} ({})", f.syscall, f.file, f.offset,
                       f.length, strerrorname_np(f.error) ? strerrorname_np(f.error) : "?",
                       strerror(f.error));
  }
  return fmt::format("data lost in {} at offset {}, {} bytes ({})", f.file, f.offset, f.length,
                     f.what.empty() ? "mismatch" : f.what);
}

}  // namespace wedge::agent
