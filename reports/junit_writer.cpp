// junit.xml for a matrix: one testsuite per cell, one testcase per repeat; a finding is a
// failure (kind, title, top stack), an infra error is an error. Schema: reports/schema/junit.xsd.
#include <fmt/format.h>

#include "harness/util/files.h"
#include "harness/util/text.h"
#include "reports/html.h"
#include "reports/registry.h"
#include "reports/run_reader.h"

namespace wedge::reports {

namespace {

// XML 1.0 forbids most control characters even when escaped; consoles print them.
std::string xml(std::string_view text) { return markup_escape(text); }

// Ant's timestamp form: no zone designator.
std::string ant_timestamp(std::string iso) {
  if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
  return iso.empty() ? "1970-01-01T00:00:00" : iso;
}

std::string failure_text(const std::filesystem::path& run_dir, const RunEntry& r) {
  std::string text = r.reason + "\n";
  auto record = read_run(run_dir);
  if (!record) return text;
  for (const auto& f : record->report.findings) {
    text += "\n" + describe(f) + "\n";
    const std::vector<std::string>* frames = &f.frames;
    if (frames->empty() && !f.stacks.empty()) frames = &f.stacks.front().frames;
    for (const auto& fr : *frames) text += "  " + fr + "\n";
  }
  return text;
}

std::string testcase(const std::filesystem::path& root, const CellSummary& c, const RunEntry& r) {
  std::string out =
      fmt::format("    <testcase name=\"{}\" classname=\"wedge.{}\" time=\"{:.3f}\">\n",
                  xml(fmt::format("{} r{}", c.id, r.repeat)), xml(c.scenario), r.run_s);
  if (r.exit_code == 125) {
    out += fmt::format("      <error message=\"{}\" type=\"infra_error\">{}</error>\n",
                       xml(r.reason), xml(r.reason));
  } else if (r.exit_code != 0) {
    std::string kind = r.findings.empty() ? r.verdict : r.findings.front().kind;
    std::string title = r.findings.empty() ? r.reason : r.findings.front().title;
    out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml(title),
                       xml(kind), xml(failure_text(root / r.dir, r)));
  }
  out += fmt::format("      <system-out>run directory: {}</system-out>\n", xml(r.dir));
  return out + "    </testcase>\n";
}

class JunitWriter : public SummaryWriter {
 public:
  Status write(const Summary& s, const std::filesystem::path& root) const override {
    int tests = 0, failures = 0, errors = 0;
    double time = 0;
    std::string suites;
    for (const auto& c : s.cells) {
      int f = 0, e = 0;
      double t = 0;
      std::string started;
      std::string cases;
      for (const auto& r : c.runs) {
        if (r.exit_code == 125) ++e;
        if (r.exit_code == 1) ++f;
        t += r.run_s;
        if (started.empty() || (!r.started_at.empty() && r.started_at < started)) {
          started = r.started_at;
        }
        cases += testcase(root, c, r);
      }
      suites += fmt::format(
          "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
          "time=\"{:.3f}\" timestamp=\"{}\" id=\"{}\" package=\"wedge\">\n{}  </testsuite>\n",
          xml(c.id), c.runs.size(), f, e, t, ant_timestamp(started), c.index, cases);
      tests += static_cast<int>(c.runs.size());
      failures += f;
      errors += e;
      time += t;
    }
    std::string doc = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" "
        "failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n{}</testsuites>\n",
        xml(s.name), tests, failures, errors, time, suites);
    return write_file_atomic(root / "junit.xml", doc).context("writing junit.xml");
  }
};

}  // namespace

std::unique_ptr<SummaryWriter> make_junit_writer() { return std::make_unique<JunitWriter>(); }

}  // namespace wedge::reports
