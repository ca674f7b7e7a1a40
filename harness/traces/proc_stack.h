// Parsing of /proc/PID/stack text as the agent's task scan returns it, and the conversion of
// an agent Task message into a TaskTrace.
//
//   auto frames = traces::parse_proc_stack("[<0>] folio_wait_bit_common+0x13d/0x380\n");
//   // frames == {"folio_wait_bit_common"}
//   traces::TaskTrace t = traces::task_trace_from_agent(task);  // source "agent"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/agent/messages.h"
#include "harness/traces/task_trace.h"

namespace wedge::traces {

// Function names of a /proc/PID/stack text, innermost first. Lines look like
// "[<0>] name+0x13d/0x380" (or with the real address when kptr_restrict allows it, and a
// " [module]" suffix); anything else (an empty stack, junk) is skipped.
[[nodiscard]] std::vector<std::string> parse_proc_stack(std::string_view text);

// A TaskTrace with source "agent" from one Task of a task scan.
[[nodiscard]] TaskTrace task_trace_from_agent(const agent::Task& task);

}  // namespace wedge::traces
