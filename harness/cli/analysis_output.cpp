// Implementation of analysis_output.h.
#include "harness/cli/analysis_output.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/util/text.h"
#include "reports/report.h"

namespace wedge::cli {

int print_analysis(const detect::Analysis& a, bool json, const nlohmann::json& extra) {
  if (json) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : a.findings) findings.push_back(reports::finding_json(f));
    nlohmann::json out = extra;
    out["verdict"] = reports::to_string(a.verdict);
    out["reason"] = valid_utf8(a.reason);
    out["findings"] = findings;
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    // Guest text is printed only with its control characters escaped.
    fmt::print("{}: {}\n", reports::to_string(a.verdict), printable(a.reason));
    for (const auto& f : a.findings) {
      fmt::print("  finding: {}\n", printable(reports::describe(f)));
      if (!f.signature.empty()) fmt::print("    signature: {}\n", printable(f.signature));
      for (const auto& g : f.stacks) {
        fmt::print("    {} task(s) in state {}: {}\n", g.count, printable(g.state),
                   printable(fmt::format("{}", fmt::join(g.tasks, " "))));
        size_t shown = std::min<size_t>(g.frames.size(), 12);
        for (size_t i = 0; i < shown; ++i) fmt::print("      {}\n", printable(g.frames[i]));
        if (shown < g.frames.size()) fmt::print("      ... {} more\n", g.frames.size() - shown);
      }
    }
  }
  return reports::exit_code_for(a.verdict);
}

}  // namespace wedge::cli
