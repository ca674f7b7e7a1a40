// Building blocks of the self-contained HTML reports: escaping, the page shell with inline CSS
// (no scripts, fonts or network), and inline SVG line plots.
//
//   std::string svg = html::line_plot("MemFree", "MiB", points, 60.0);
//   std::string page = html::page("wedge run", body);
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wedge::reports::html {

[[nodiscard]] std::string escape(std::string_view text);

// A complete document: <!doctype html>, inline style, the body as given.
[[nodiscard]] std::string page(std::string_view title, std::string_view body);

// CSS class for a verdict banner or grid cell: "pass", "fail" or "infra".
[[nodiscard]] const char* verdict_class(std::string_view verdict);

// An SVG line plot (class "plot", data-series=title, data-points=N): one polyline over
// x in [0, x_max] seconds. Marks (x, label) draw vertical lines (faults, detections).
struct Mark {
  double x = 0;
  std::string label;
  std::string css;  // "fault" or "detect"
};
[[nodiscard]] std::string line_plot(std::string_view title, std::string_view unit,
                                    const std::vector<std::pair<double, double>>& points,
                                    double x_max, const std::vector<Mark>& marks = {});

}  // namespace wedge::reports::html
