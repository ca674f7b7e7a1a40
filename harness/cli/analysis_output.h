// Prints an offline analysis (`wedge analyze`, `wedge analyze-dump`) the same way for both:
// a verdict line and each finding with its stack groups, or one JSON object shaped like
// report.json's verdict/findings. Returns the exit code the verdict maps to.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/detect/analyze.h"

namespace wedge::cli {

// extra: fields added to the JSON object (ignored for text output).
int print_analysis(const detect::Analysis& analysis, bool json,
                   const nlohmann::json& extra = nlohmann::json::object());

}  // namespace wedge::cli
