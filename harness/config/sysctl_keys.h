// The [sysctl] allow-list: the writeback and reclaim knobs (vm.*) the reports tune, and where
// each lives under /proc/sys. Anything else is refused at load, so a scenario cannot change
// what the harness itself depends on (hung_task_*, sysrq, panic, ...).
//
//   config::is_allowed_sysctl("vm.dirty_ratio");    // true
//   config::sysctl_path("vm.page-cluster");         // "/proc/sys/vm/page-cluster"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wedge::config {

[[nodiscard]] bool is_allowed_sysctl(std::string_view key);
[[nodiscard]] std::vector<std::string> allowed_sysctls();
// The /proc/sys file of an allowed key ("vm.x" -> "/proc/sys/vm/x").
[[nodiscard]] std::string sysctl_path(std::string_view key);

}  // namespace wedge::config
