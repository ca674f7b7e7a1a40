// Implementation of stack_frame.h: token scanning, no regex.
#include "harness/console/stack_frame.h"

#include "harness/console/console_line.h"

namespace wedge::console {

namespace {

bool is_symbol_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '$';
}

bool is_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// Drops leading "[<ffffffff81000000>]" / "[c0000000fe7a3b70]" address brackets.
std::string_view skip_addresses(std::string_view s) {
  for (int i = 0; i < 2; ++i) {
    s = trim(s);
    if (!s.starts_with('[')) break;
    size_t close = s.find(']');
    if (close == std::string_view::npos) break;
    std::string_view inside = s.substr(1, close - 1);
    if (inside.starts_with('<') && inside.ends_with('>'))
      inside = inside.substr(1, inside.size() - 2);
    if (inside.starts_with("0x")) inside.remove_prefix(2);
    if (!is_hex(inside)) break;
    s.remove_prefix(close + 1);
  }
  return trim(s);
}

// "func+0x1a/0x40..." at the start of s -> "func" (the offset must be hex over hex size).
std::optional<std::string_view> symbol_with_offset(std::string_view s) {
  size_t end = 0;
  while (end < s.size() && is_symbol_char(s[end])) ++end;
  if (end == 0 || end + 3 >= s.size() || s.substr(end, 3) != "+0x") return std::nullopt;
  size_t pos = end + 3;
  size_t digits = pos;
  while (digits < s.size() && is_hex(s.substr(digits, 1))) ++digits;
  if (digits == pos || digits >= s.size() || s[digits] != '/') return std::nullopt;
  return s.substr(0, end);
}

// " __dump_stack lib/dump_stack.c:77 [inline]": a frame the symbolizer expanded from inlining.
std::optional<std::string_view> inline_symbol(std::string_view s) {
  if (!s.ends_with("[inline]")) return std::nullopt;
  size_t end = 0;
  while (end < s.size() && is_symbol_char(s[end])) ++end;
  if (end == 0 || end >= s.size() || s[end] != ' ') return std::nullopt;
  std::string_view location = trim(s.substr(end, s.size() - end - 8));
  bool has_file = location.find('/') != std::string_view::npos ||
                  location.find(".c:") != std::string_view::npos ||
                  location.find(".h:") != std::string_view::npos;
  if (location.find(':') == std::string_view::npos || !has_file) return std::nullopt;
  return s.substr(0, end);
}

}  // namespace

std::optional<StackFrame> parse_stack_frame(std::string_view message) {
  std::string_view s = skip_addresses(message);
  StackFrame frame;
  if (s.starts_with("? ")) {
    frame.reliable = false;
    s = skip_addresses(s.substr(2));
    if (s.starts_with("0x")) return frame;  // "? 0xffffffffc035d000": an address, no name
  }
  if (s.starts_with('(')) {
    // arm32: "[<80c1e5e8>] (__schedule) from [<80c1eb20>] (schedule+0x60/0xdc)"
    s.remove_prefix(1);
    size_t close = s.find(')');
    if (close != std::string_view::npos && s.substr(close).starts_with(") from ")) {
      std::string_view name = s.substr(0, close);
      name = name.substr(0, name.find('+'));
      if (!name.empty()) {
        frame.function = name;
        return frame;
      }
    }
  }
  if (auto name = symbol_with_offset(s)) {
    frame.function = *name;
  } else if (auto inlined = inline_symbol(s)) {
    frame.function = *inlined;
  } else {
    return std::nullopt;
  }
  if (message.ends_with("(unreliable)")) frame.reliable = false;
  return frame;
}

std::optional<std::string_view> parse_ip_frame(std::string_view message) {
  std::string_view s = trim(message);
  for (std::string_view key : {"RIP: ", "EIP: ", "IP: ", "NIP ", "pc : ", "PC is at "}) {
    if (!s.starts_with(key)) continue;
    std::string_view rest = s.substr(key.size());
    if (key == "RIP: " || key == "EIP: ") {
      // "RIP: 0010:func+0x1/0x2", or the old "RIP: 0010:[<ffffffff8..>]  [<..>] func+0x.."
      size_t colon = rest.find(':');
      if (colon != std::string_view::npos && colon < 8) rest.remove_prefix(colon + 1);
    }
    if (auto name = symbol_with_offset(skip_addresses(rest))) return *name;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string_view function_base(std::string_view name) {
  for (std::string_view suffix :
       {".isra.", ".constprop.", ".part.", ".cold", ".llvm.", ".lto_priv."}) {
    size_t at = name.find(suffix);
    if (at != std::string_view::npos && at > 0) name = name.substr(0, at);
  }
  return name;
}

}  // namespace wedge::console
