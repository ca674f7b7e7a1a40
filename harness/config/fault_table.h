// [[fault]] tables: read through each kind's declaration (fault_kind.h) with file:line errors,
// and written back for to_toml. Internal to harness/config (the only library that sees toml++).
#pragma once

#include <toml++/toml.h>

#include <filesystem>

#include "harness/config/scenario.h"
#include "harness/util/result.h"

namespace wedge::config {

// Appends the file's [[fault]] tables to s->faults (s's guest, storage and limits are loaded).
[[nodiscard]] Status read_faults(const toml::table& root, const std::filesystem::path& file,
                                 Scenario* s);

// One fault as its [[fault]] table: the common keys and every key its kind declares.
[[nodiscard]] toml::table fault_to_toml(const FaultConfig& fault);

}  // namespace wedge::config
