// The [workload] table: read through its kind's declaration (workload_kind.h) with file:line
// errors, and written back for to_toml. Internal to harness/config (the only library that sees
// toml++).
#pragma once

#include <toml++/toml.h>

#include <filesystem>

#include "harness/config/scenario.h"
#include "harness/util/result.h"

namespace wedge::config {

// Reads the file's [workload] table into *workload (left as it is when there is none). Paths
// are resolved against the file's folder and must stay inside it unless allow_outside_files.
[[nodiscard]] Status read_workload(const toml::table& root, const std::filesystem::path& file,
                                   bool allow_outside_files, WorkloadConfig* workload);

// The workload as its [workload] table: kind and the keys the file gave (the kind's defaults
// apply again when it is loaded).
[[nodiscard]] toml::table workload_to_toml(const WorkloadConfig& workload);

}  // namespace wedge::config
