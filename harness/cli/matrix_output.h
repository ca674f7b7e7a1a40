// Terminal output shared by the matrix-shaped commands (matrix, merge, run --repeat): a line
// per cell with failures/runs, the 95% interval and the verdict mix.
#pragma once

#include <filesystem>

#include "reports/summary.h"

namespace wedge::cli {

void print_summary(const reports::Summary& summary, const std::filesystem::path& root);
// 0 every counted run passed, 1 a kernel failed, 125 no run could test.
[[nodiscard]] int summary_exit_code(const reports::Summary& summary);

}  // namespace wedge::cli
