// Cell lines: "nbd-swap-hog.mem-128  1/4 failed (25%, 95% CI 5-70%)  pass 3, hang 1".
#include "harness/cli/matrix_output.h"

#include <fmt/format.h>

namespace wedge::cli {

void print_summary(const reports::Summary& s, const std::filesystem::path& root) {
  for (const auto& c : s.cells) {
    std::string mix;
    for (const auto& [verdict, n] : c.verdicts)
      mix += fmt::format("{}{} {}", mix.empty() ? "" : ", ", verdict, n);
    fmt::print("{:<48} {}/{} failed ({:.0f}%, 95% CI {:.0f}-{:.0f}%)  {}\n", c.id, c.failures,
               c.counted, c.rate * 100, c.ci_low * 100, c.ci_high * 100, mix);
  }
  for (const auto& f : s.new_findings) fmt::print("new finding: {}\n", f);
  fmt::print("summary: {}\n", (root / "summary.json").string());
  fmt::print("report:  {}\n", (root / "report.html").string());
}

int summary_exit_code(const reports::Summary& s) {
  int counted = 0, failures = 0;
  for (const auto& c : s.cells) {
    counted += c.counted;
    failures += c.failures;
  }
  if (failures > 0) return 1;
  return counted > 0 ? 0 : 125;
}

}  // namespace wedge::cli
