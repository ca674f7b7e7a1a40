// report.html for a matrix: a grid of cells (rows: scenario and other axes, columns: kernel)
// coloured by failure rate, linking to each run's page, with intervals and new findings.
#include <fmt/format.h>

#include <algorithm>

#include "harness/util/files.h"
#include "reports/html.h"
#include "reports/registry.h"

namespace wedge::reports {

namespace {

std::string row_key(const CellSummary& c) {
  std::string key = c.scenario;
  for (const auto& [axis, value] : c.axes) {
    if (axis != "kernel") key += " · " + axis + " " + value;
  }
  return key;
}

std::string cell_html(const CellSummary& c) {
  const char* css = c.counted == 0 ? "infra" : (c.failures ? "fail" : "pass");
  std::string links;
  for (const auto& r : c.runs) {
    links +=
        fmt::format(" <a href=\"{}/report.html\" title=\"{}: {}\">r{}</a>", html::escape(r.dir),
                    html::escape(r.verdict), html::escape(r.reason), r.repeat);
  }
  return fmt::format(
      "<td class=\"{}\" data-cell=\"{}\">{}/{} failed ({:.0f}%, 95% CI {:.0f}–{:.0f}%)<br>{}</td>",
      css, html::escape(c.id), c.failures, c.counted, c.rate * 100, c.ci_low * 100, c.ci_high * 100,
      links);
}

class HtmlMatrixWriter : public SummaryWriter {
 public:
  Status write(const Summary& s, const std::filesystem::path& root) const override {
    std::vector<std::string> rows, columns;
    auto add = [](std::vector<std::string>& v, const std::string& x) {
      if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
    };
    for (const auto& c : s.cells) {
      add(rows, row_key(c));
      add(columns, label(c.labels, "kernel"));
    }
    int failures = 0, counted = 0;
    for (const auto& c : s.cells) {
      failures += c.failures;
      counted += c.counted;
    }
    std::string body = fmt::format(
        "<h1>wedge matrix {}</h1><div class=\"banner {}\">{} cells, {} of {} runs failed{}</div>"
        "<p>created {} · repeat {} · matrix file {}</p>",
        html::escape(s.name), failures ? "fail" : (counted ? "pass" : "infra"), s.cells.size(),
        failures, counted, s.shard.empty() ? "" : " (shard " + s.shard + ")",
        html::escape(s.created_at), s.repeat, html::escape(s.matrix_file));
    body += "<h2>Cells</h2><table id=\"grid\"><tr><th>scenario / axes</th>";
    for (const auto& k : columns) body += "<th>kernel " + html::escape(k) + "</th>";
    body += "</tr>";
    for (const auto& row : rows) {
      body += "<tr><th>" + html::escape(row) + "</th>";
      for (const auto& k : columns) {
        auto it = std::find_if(s.cells.begin(), s.cells.end(), [&](const CellSummary& c) {
          return row_key(c) == row && label(c.labels, "kernel") == k;
        });
        body += it == s.cells.end() ? "<td class=\"muted\">—</td>" : cell_html(*it);
      }
      body += "</tr>";
    }
    body += "</table>";
    body += "<h2>New findings</h2>";
    if (s.new_findings.empty()) {
      body += s.baseline.empty()
                  ? "<p class=\"muted\">No baseline given.</p>"
                  : "<p class=\"muted\">None since " + html::escape(s.baseline) + ".</p>";
    } else {
      body += "<ul id=\"new-findings\">";
      for (const auto& f : s.new_findings) body += "<li>" + html::escape(f) + "</li>";
      body += "</ul>";
    }
    body += "<h2>Findings by run</h2><ul class=\"findings\">";
    for (const auto& c : s.cells) {
      for (const auto& r : c.runs) {
        for (const auto& f : r.findings) {
          body +=
              fmt::format("<li><a href=\"{}/report.html\">{} r{}</a>: {}</li>", html::escape(r.dir),
                          html::escape(c.id), r.repeat, html::escape(f.signature));
        }
      }
    }
    body +=
        "</ul><p><a href=\"summary.json\">summary.json</a> · <a href=\"junit.xml\">junit.xml</a>"
        " · <a href=\"metrics.prom\">metrics.prom</a></p>";
    return write_file_atomic(root / "report.html", html::page("wedge matrix " + s.name, body))
        .context("writing the matrix report.html");
  }
};

}  // namespace

std::unique_ptr<SummaryWriter> make_html_matrix_writer() {
  return std::make_unique<HtmlMatrixWriter>();
}

}  // namespace wedge::reports
