// TOML parsing with wedge's error form ("file:line:column: what"), for the config loaders.
// Internal to harness/config (the only library that sees toml++).
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <string_view>

#include "harness/util/result.h"

namespace wedge::config {

[[nodiscard]] inline Result<toml::table> parse_toml(std::string_view text,
                                                    const std::filesystem::path& source) {
  try {
    return toml::parse(text, source.string());
  } catch (const toml::parse_error& e) {
    return make_error("{}:{}:{}: {}", source.string(), e.source().begin.line,
                      e.source().begin.column, e.description());
  }
}

}  // namespace wedge::config
