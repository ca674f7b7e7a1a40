// One side's overrides of a matrix's axes (`wedge compare --base-set fault=none`): each setting
// replaces that axis by its one value, exactly as if the matrix file listed only that value.
//
//   WEDGE_TRY(config::AxisSetting s, config::parse_axis_setting("fault=none", "--base-set"));
//   WEDGE_CHECK(config::apply_axis_settings(matrix, {s}, "--base-set"));  // matrix.faults = {none}
//   config::describe_settings({s});                                     // "fault=none"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/config/matrix_file.h"
#include "harness/util/result.h"

namespace wedge::config {

// key is an axis: kernel, memory_mib, transport, fault (a fault set: "scenario", "none" or a
// [fault.NAME] of the matrix file) or sysctl (a sysctl set: "default", a [sysctl.NAME] of the
// matrix file, or inline keys "vm.dirty_ratio=5,vm.swappiness=100").
struct AxisSetting {
  std::string key;
  std::string value;
  friend bool operator==(const AxisSetting&, const AxisSetting&) = default;
};

// The keys a setting may name, in the order cells nest them.
[[nodiscard]] const std::vector<std::string>& axis_setting_keys();

// "KEY=VALUE" (split at the first '='). Errors start with option and the text:
// "--candidate-set colour=red: unknown key colour (known: kernel, memory_mib, ...)".
[[nodiscard]] Result<AxisSetting> parse_axis_setting(std::string_view text,
                                                     std::string_view option);

// Checks every setting against the matrix (a key given twice, memory out of 64..65536, an
// unknown transport, a fault or sysctl set the matrix does not define, a sysctl not on the
// allow-list) and applies them. Errors name option and the setting.
[[nodiscard]] Status apply_axis_settings(Matrix& matrix, const std::vector<AxisSetting>& settings,
                                         std::string_view option);

// "kernel=default fault=none"; "" when there are none.
[[nodiscard]] std::string describe_settings(const std::vector<AxisSetting>& settings);

// How many values each axis of the matrix has (0: the scenario's own), by setting key.
[[nodiscard]] size_t axis_size(const Matrix& matrix, std::string_view key);

}  // namespace wedge::config
