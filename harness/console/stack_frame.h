// Stack frames as kernels of every age and architecture print them, read from one console
// message (prefixes already split off by console_line.h):
//   " schedule+0x64/0x160", " ? func+0x1/0x2 [mod]", "[<ffffffff835bdeb4>] schedule+0x64/0x160",
//   " func+0x1f/0x40 net/core/dev.c:123", " __dump_stack lib/dump_stack.c:77 [inline]",
//   "[c0000000fe7a3b70] [c0000000001c6fa4] func+0x54/0x230 (unreliable)"
// and the faulting instruction's line ("RIP: 0010:func+0x..", "IP: [<..>] func+..",
// "pc : func+0x..", "PC is at func+0x..", "NIP [c00..] func+0x..").
//
//   auto f = parse_stack_frame(" ? do_idle+0x1/0x2");  // {function "do_idle", reliable false}
//   function_base("shm_open.isra.5.part.6") == "shm_open"
#pragma once

#include <optional>
#include <string_view>

namespace wedge::console {

struct StackFrame {
  std::string_view function;
  bool reliable = true;  // false for "? func" guesses and "(unreliable)" frames
};

[[nodiscard]] std::optional<StackFrame> parse_stack_frame(std::string_view message);

// The function of an instruction-pointer line, if message is one.
[[nodiscard]] std::optional<std::string_view> parse_ip_frame(std::string_view message);

// A function name without the suffixes the compiler adds to split or specialised copies
// (".isra.0", ".constprop.3", ".part.6", ".cold", ".llvm.123").
[[nodiscard]] std::string_view function_base(std::string_view name);

}  // namespace wedge::console
