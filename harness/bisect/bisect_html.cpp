// Implementation of bisect_html.h.
#include "harness/bisect/bisect_html.h"

#include <fmt/format.h>

#include "reports/html.h"

namespace wedge::bisect {

namespace {

using reports::html::escape;

std::string stacks_html(const std::vector<reports::StackGroup>& stacks) {
  std::string out;
  for (const auto& g : stacks) {
    std::string tasks;
    for (const auto& t : g.tasks) tasks += (tasks.empty() ? "" : ", ") + t;
    std::string frames;
    for (const auto& f : g.frames) frames += escape(f) + "\n";
    out += fmt::format("<p>{} task(s) in state {}: {}</p><pre>{}</pre>", g.count, escape(g.state),
                       escape(tasks), frames);
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

const char* decision_class(StepDecision d) {
  switch (d) {
    case StepDecision::kBad:
      return "fail";
    case StepDecision::kGood:
      return "pass";
    case StepDecision::kSkip:
    case StepDecision::kPending:
      return "infra";
  }
  return "infra";
}

std::string runs_html(const StepRecord& step) {
  std::string out;
  for (const auto& r : step.runs) {
    std::string what = r.verdict.empty() ? to_string(r.end) : r.verdict;
    for (const auto& f : r.findings) {
      what += fmt::format(" · {} [{}, similarity {:.2f}]", f.title,
                          f.bads_bug ? "BAD's bug" : "other bug", f.similarity);
    }
    out += fmt::format("<li><a href=\"{}/report.html\">{}</a>: {} ({}, {:.0f} s)</li>",
                       escape(r.dir), escape(r.dir), escape(what), escape(r.counts_as), r.seconds);
  }
  return out.empty() ? std::string() : "<ul>" + out + "</ul>";
}

}  // namespace

std::string bisect_html(const BisectRecord& rec) {
  const BisectSettings& s = rec.settings;
  const BisectResult& res = rec.result;
  BisectCost cost = cost_of(rec);
  std::string body = fmt::format(
      "<h1>wedge bisect</h1><p>tree <b>{}</b> · scenario <b>{}</b> · good {} · bad {}</p>"
      "<p class=\"{}\">{}: {}</p><p>{} builds ({:.0f} s), {} runs ({:.0f} s), wall {:.0f} s</p>",
      escape(s.tree), escape(s.scenario), escape(s.good.substr(0, 12)), escape(s.bad.substr(0, 12)),
      res.state == "found"     ? "fail"
      : res.state == "running" ? ""
                               : "infra",
      escape(res.state), escape(res.message), cost.builds, cost.build_s, cost.runs, cost.run_s,
      rec.wall_s);
  if (!res.candidates.empty()) {
    body += "<p>candidates: " + escape(join(res.candidates)) + "</p>";
  }
  if (rec.reference && rec.sprt) {
    const ReferenceBug& r = *rec.reference;
    body += fmt::format(
        "<h2>BAD's bug</h2><p>{} ({}) in {} of {} runs on BAD. Test: p_bad {:.3f} vs p_good "
        "{:.3f}, alpha {}, beta {}, bounds ({:.2f}, {:.2f}), at most {} runs per step.</p>"
        "<p>key functions: {}</p>",
        escape(r.title), escape(r.signature), r.failures, r.runs, rec.sprt->p_bad, rec.sprt->p_good,
        rec.sprt->alpha, rec.sprt->beta, lower_bound(*rec.sprt), upper_bound(*rec.sprt),
        s.max_runs_per_step, escape(join(key_functions(r.key, 12))));
  }
  body +=
      "<h2>Steps</h2><table><tr><th>commit</th><th>role</th><th>build</th><th>runs</th>"
      "<th>BAD's bug</th><th>LLR</th><th>decision</th></tr>";
  for (const auto& step : rec.steps) {
    std::string build = !step.build         ? "-"
                        : step.build->built ? fmt::format("{:.0f} s", step.build->seconds)
                                            : "failed";
    body += fmt::format(
        "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{:.2f}</td>"
        "<td class=\"{}\">{}</td></tr><tr><td colspan=\"7\">{}{}</td></tr>",
        escape(step.commit.substr(0, 12)), escape(step.subject), to_string(step.role),
        escape(build), step.runs.size(), step.failures, step.counted, step.llr,
        decision_class(step.decision), to_string(step.decision), escape(step.why), runs_html(step));
  }
  body += "</table>";
  if (res.state == "found") {
    body += fmt::format("<h2>First bad commit</h2><p><b>{}</b> {}</p>", escape(res.first_bad),
                        escape(res.first_bad_subject));
    if (const FindingRecord* f = first_bad_finding(rec)) {
      body += fmt::format("<p>{} ({})</p>", escape(f->title), escape(f->signature)) +
              stacks_html(f->stacks);
      return reports::html::page("wedge bisect", body);
    }
    if (rec.reference) {
      body +=
          "<p>BAD's finding (the first bad commit was marked by git without runs of its "
          "own):</p>" +
          stacks_html(rec.reference->stacks);
    }
  }
  return reports::html::page("wedge bisect", body);
}

}  // namespace wedge::bisect
