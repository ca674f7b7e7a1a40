// Implementation of io_error_site.h: fixed-prefix search and digit runs, no regex.
#include "harness/detect/io_error_site.h"

#include <cctype>
#include <charconv>

namespace wedge::detect {

namespace {

// The word starting at `at` (letters, digits, '-', '_'); advances `at` past it.
std::string_view take_name(std::string_view s, size_t& at) {
  size_t start = at;
  while (at < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[at])) || s[at] == '-' || s[at] == '_')) {
    ++at;
  }
  return s.substr(start, at - start);
}

std::optional<uint64_t> number_after(std::string_view s, std::string_view key) {
  size_t at = s.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  at += key.size();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data() + at, s.data() + s.size(), value);
  if (ec != std::errc() || end == s.data() + at) return std::nullopt;
  return value;
}

std::string op_of(std::string_view s) {
  if (s.find("(WRITE)") != std::string_view::npos || s.find(" writing ") != std::string_view::npos)
    return "write";
  if (s.find("(READ)") != std::string_view::npos || s.find(" reading ") != std::string_view::npos)
    return "read";
  return "";
}

}  // namespace

std::optional<IoErrorSite> parse_io_error_site(std::string_view line) {
  // Where the device name starts, after `prefix`; npos when the line has no such prefix.
  auto after = [&](std::string_view prefix) {
    size_t at = line.find(prefix);
    return at == std::string_view::npos ? at : at + prefix.size();
  };
  IoErrorSite site;
  size_t name_at = 0;
  if (name_at = after("EXT4-fs warning (device "); name_at != std::string_view::npos) {
    site.device = take_name(line, name_at);
    std::string_view rest = line.substr(name_at);
    if (rest.find("I/O error") == std::string_view::npos) return std::nullopt;
    site.inode = number_after(rest, " inode ");
    site.block = number_after(rest, " block ");
    site.op = op_of(rest);
  } else if (name_at = after("Buffer I/O error on device "); name_at != std::string_view::npos) {
    site.device = take_name(line, name_at);
    site.block = number_after(line.substr(name_at), "logical block ");
  } else if (name_at = after("I/O error, dev "); name_at != std::string_view::npos) {
    site.device = take_name(line, name_at);
    std::string_view rest = line.substr(name_at);
    site.sector = number_after(rest, "sector ");
    site.op = op_of(rest);
  } else {
    return std::nullopt;
  }
  if (site.device.empty()) return std::nullopt;
  return site;
}

bool merge_io_error_site(IoErrorSite& into, const IoErrorSite& more) {
  if (into.device != more.device) return false;
  bool changed = false;
  auto fill = [&](auto& field, const auto& value) {
    if (!field && value) {
      field = value;
      changed = true;
    }
  };
  fill(into.sector, more.sector);
  fill(into.inode, more.inode);
  fill(into.block, more.block);
  if (into.op.empty() && !more.op.empty()) {
    into.op = more.op;
    changed = true;
  }
  return changed;
}

}  // namespace wedge::detect
