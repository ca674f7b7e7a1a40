// libFuzzer target: parsers of `crash` output (the task list walk) and of /proc/PID/stack
// text, both read from a guest's memory or files.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/traces/crash_task_list.h"
#include "harness/traces/proc_stack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tasks = wedge::traces::parse_crash_task_list(text);
  (void)wedge::traces::format_dump_tasks(tasks);
  (void)wedge::traces::parse_proc_stack(text);
  return 0;
}
