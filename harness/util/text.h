// Text from the guest (console lines, task names, agent strings) made safe for where it goes:
// valid UTF-8 before JSON (nlohmann::json throws on anything else), and no control characters
// before a terminal (a guest must not be able to move the cursor or retitle the window).
//
//   json["title"] = valid_utf8(event.title);            // "caf\xC3" -> "caf\uFFFD"
//   fmt::print("{}\n", printable(event.title));         // "\x1b[2J" -> "\\x1b[2J"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wedge {

// s with every byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF included) replaced by U+FFFD.
[[nodiscard]] std::string valid_utf8(std::string_view s);

// valid_utf8(s) with C0 control characters (except tab, and newline when keep_newlines),
// DEL and C1 controls written as "\xNN" / "\u0085" escapes.
[[nodiscard]] std::string printable(std::string_view s, bool keep_newlines = false);

// s for XML or HTML text and attribute values: & < > " ' as entities, and the control
// characters XML 1.0 forbids even escaped (all C0 but tab, newline, CR; and DEL) written as '?'.
//   markup_escape("a<b & 'c'\x01")  -> "a&lt;b &amp; &apos;c&apos;?"
[[nodiscard]] std::string markup_escape(std::string_view s);

// s without the trailing characters in `chars` (by default spaces, tabs, CR and newlines): a
// command's output, a /proc file, before it goes into a message or a comparison.
//   trim_end("exit 1: no such file \n") -> "exit 1: no such file"
[[nodiscard]] std::string_view trim_end(std::string_view s, std::string_view chars = " \t\r\n");

// The lines of text without their '\n'; a last line without one counts, a final '\n' adds none.
//   lines_of("a\n\nb\n") -> {"a", "", "b"}
[[nodiscard]] std::vector<std::string_view> lines_of(std::string_view text);

// A Debian package name (policy 5.6.7): lowercase letters, digits, '+', '-', '.'; 2 to 128
// characters, starting with a letter or digit. Checked before a name reaches apt.
//   is_debian_package_name("stress-ng") -> true;  is_debian_package_name("-o") -> false
[[nodiscard]] bool is_debian_package_name(std::string_view name);

}  // namespace wedge
