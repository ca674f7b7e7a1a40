// HTML escaping, the page shell and SVG plots shared by the run and matrix pages.
#include "reports/html.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/util/text.h"

namespace wedge::reports::html {

std::string escape(std::string_view text) { return markup_escape(text); }

std::string page(std::string_view title, std::string_view body) {
  constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
.banner{padding:.8em 1em;border-radius:6px;color:#fff;font-size:1.2em}
.pass{background:#2e7d32}.fail{background:#c62828}.infra{background:#757575}
.plots{display:flex;flex-wrap:wrap;gap:12px}
svg.plot,svg.timeline{background:#fafafa;border:1px solid #ddd}
polyline{fill:none;stroke:#1565c0;stroke-width:1.5}
line.fault{stroke:#ef6c00;stroke-width:1.5;stroke-dasharray:4 2}
line.detect{stroke:#c62828;stroke-width:2}
rect.fault{fill:#ef6c00;opacity:.35} rect.stall{fill:#f9a825;opacity:.5}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto;font-size:12px}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
td.pass,td.fail,td.infra{color:#fff} td a{color:inherit}
.muted{color:#777}
)";
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>"
      "<style>{}</style></head>\n<body>\n{}\n</body></html>\n",
      escape(title), kStyle, body);
}

const char* verdict_class(std::string_view verdict) {
  if (verdict == "pass") return "pass";
  if (verdict == "infra_error") return "infra";
  return "fail";
}

std::string line_plot(std::string_view title, std::string_view unit,
                      const std::vector<std::pair<double, double>>& points, double x_max,
                      const std::vector<Mark>& marks) {
  constexpr double kW = 360, kH = 150, kLeft = 46, kTop = 20, kPlotW = 300, kPlotH = 105;
  double y_max = 0;
  for (const auto& p : points) y_max = std::max(y_max, p.second);
  if (y_max <= 0) y_max = 1;
  if (x_max <= 0) x_max = 1;
  auto sx = [&](double x) { return kLeft + x / x_max * kPlotW; };
  auto sy = [&](double y) { return kTop + kPlotH - y / y_max * kPlotH; };
  std::string poly;
  for (const auto& [x, y] : points) poly += fmt::format("{:.1f},{:.1f} ", sx(x), sy(y));
  std::string out = fmt::format(
      "<svg class=\"plot\" data-series=\"{0}\" data-points=\"{1}\" width=\"{2}\" height=\"{3}\" "
      "viewBox=\"0 0 {2} {3}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
      "<title>{0} ({4})</title><text x=\"{5}\" y=\"14\" font-size=\"12\">{0} ({4})</text>",
      escape(title), points.size(), kW, kH, escape(unit), kLeft);
  out += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#999\"/>"
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#999\"/>"
      "<text x=\"{4}\" y=\"{5}\" font-size=\"10\" text-anchor=\"end\">{6:.4g}</text>"
      "<text x=\"{4}\" y=\"{2}\" font-size=\"10\" text-anchor=\"end\">0</text>"
      "<text x=\"{3}\" y=\"{7}\" font-size=\"10\" text-anchor=\"end\">{8:.0f} s</text>",
      kLeft, kTop, kTop + kPlotH, kLeft + kPlotW, kLeft - 4, kTop + 8, y_max, kTop + kPlotH + 14,
      x_max);
  for (const auto& m : marks) {
    out += fmt::format(
        "<line class=\"{}\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" "
        "y2=\"{}\"><title>{}</title></line>",
        m.css, sx(m.x), kTop, sx(m.x), kTop + kPlotH, escape(m.label));
  }
  if (!points.empty()) out += fmt::format("<polyline points=\"{}\"/>", poly);
  out += "</svg>";
  return out;
}

}  // namespace wedge::reports::html
