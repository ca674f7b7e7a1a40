// Implementation of text.h: one pass over the bytes, decoding UTF-8 by hand.
#include "harness/util/text.h"

#include <fmt/format.h>

#include <cstdint>

namespace wedge {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence at s[i], or 0 if there is none; *cp gets its value.
size_t sequence_at(std::string_view s, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b = byte(i);
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  size_t len = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
  if (len == 0 || (b >= 0xF5) || i + len > s.size()) return 0;
  uint32_t v = b & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (byte(i + k) & 0x3F);
  }
  bool overlong = (len == 3 && v < 0x800) || (len == 4 && v < 0x10000);
  bool surrogate = v >= 0xD800 && v <= 0xDFFF;
  if (overlong || surrogate || v > 0x10FFFF) return 0;
  *cp = v;
  return len;
}

template <class Emit>
std::string transcode(std::string_view s, Emit emit) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t len = sequence_at(s, i, &cp);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    emit(&out, s.substr(i, len), cp);
    i += len;
  }
  return out;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  return transcode(s, [](std::string* out, std::string_view bytes, uint32_t) { *out += bytes; });
}

std::string printable(std::string_view s, bool keep_newlines) {
  return transcode(s, [keep_newlines](std::string* out, std::string_view bytes, uint32_t cp) {
    bool allowed = cp == '\t' || (keep_newlines && cp == '\n');
    if ((cp < 0x20 && !allowed) || cp == 0x7F) {
      *out += fmt::format("\\x{:02x}", cp);
    } else if (cp >= 0x80 && cp < 0xA0) {
      *out += fmt::format("\\u{:04x}", cp);
    } else {
      *out += bytes;
    }
  });
}

std::string markup_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) ? '?' : c;
    }
  }
  return out;
}

bool is_debian_package_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 128) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string_view trim_end(std::string_view s, std::string_view chars) {
  const size_t end = s.find_last_not_of(chars);
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

}  // namespace wedge
