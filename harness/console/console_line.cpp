// Implementation of console_line.h: a left-to-right walk over the known prefixes, no regex.
#include "harness/console/console_line.h"

#include <cctype>
#include <charconv>

#include "harness/util/text.h"

namespace wedge::console {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "[  584.319520]" at the start of s: the seconds, and s advanced past it and one space.
std::optional<double> take_timestamp(std::string_view* s) {
  if (s->size() < 3 || s->front() != '[') return std::nullopt;
  size_t close = s->find(']');
  if (close == std::string_view::npos || close > 24) return std::nullopt;
  std::string_view inside = trim(s->substr(1, close - 1));
  if (inside.empty() || !is_digit(inside.front())) return std::nullopt;
  for (char c : inside) {
    if (!is_digit(c) && c != '.') return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), value);
  if (ec != std::errc() || end != inside.data() + inside.size()) return std::nullopt;
  s->remove_prefix(close + 1);
  return value;
}

// "[  T1478]" / "[    C0]" / "[T16664]" at the start of s: "T1478", s advanced past it.
std::string_view take_caller(std::string_view* s) {
  if (s->size() < 4 || s->front() != '[') return {};
  size_t close = s->find(']');
  if (close == std::string_view::npos || close > 16) return {};
  std::string_view inside = trim(s->substr(1, close - 1));
  if (inside.size() < 2 || (inside[0] != 'T' && inside[0] != 'C')) return {};
  for (char c : inside.substr(1)) {
    if (!is_digit(c)) return {};
  }
  s->remove_prefix(close + 1);
  return inside;
}

// Removes `prefix ... marker` from the front of s when s starts that way.
void drop_through(std::string_view* s, std::string_view prefix, std::string_view marker) {
  if (!s->starts_with(prefix)) return;
  size_t end = s->find(marker, prefix.size());
  if (end != std::string_view::npos && end < 64) s->remove_prefix(end + marker.size());
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string clean_console_line(std::string_view raw, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(raw.size(), max_bytes));
  for (size_t i = 0; i < raw.size() && out.size() < max_bytes; ++i) {
    char c = raw[i];
    if (c == '\x1b') {
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        i += 2;
        while (i < raw.size() && !std::isalpha(static_cast<unsigned char>(raw[i]))) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') continue;
    if (c == '\x7f') continue;
    out.push_back(c);
  }
  // Cutting may split a character, and the guest may print any bytes at all.
  return valid_utf8(out);
}

ConsoleLine split_console_line(std::string_view line) {
  ConsoleLine out;
  std::string_view s = line;
  drop_through(&s, "** ", "** ");  // "** 4491 printk messages dropped ** "
  if (size_t login = s.find(" login: "); login != std::string_view::npos && login < 48) {
    std::string_view after = s.substr(login + 8);
    if (after.starts_with("[")) s = after;  // "syzkaller login: [   59.8][ T6792] BUG: ..."
  }
  if (s.size() >= 3 && s[0] == '<' && is_digit(s[1]) && s[2] == '>') s.remove_prefix(3);
  out.timestamp_s = take_timestamp(&s);
  out.context = take_caller(&s);
  if (out.timestamp_s && !s.empty() && s.front() == ' ') s.remove_prefix(1);
  out.message = s;
  return out;
}

}  // namespace wedge::console
