// metrics.prom: runs by verdict, findings by kind, failure rate, detection and traces latency,
// boot time, run duration, peak swap and bytes through the server, per matrix cell.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "harness/util/files.h"
#include "reports/prometheus.h"
#include "reports/registry.h"
#include "reports/run_reader.h"

namespace wedge::reports {

namespace {

// Samples of one family: the label set beyond the cell's (e.g. verdict="hang") and the value.
struct Family {
  const char* name;
  const char* help;
  std::vector<std::pair<std::string, double>> samples;
};

std::string cell_labels(const CellSummary& c) {
  std::string out;
  for (const char* key : {"scenario", "transport", "workload", "kernel"}) {
    out += fmt::format("{}=\"{}\",", key, escape_label_value(label(c.labels, key)));
  }
  return out + fmt::format("cell=\"{}\"", escape_label_value(c.id));
}

struct RunNumbers {
  std::vector<double> detection, traces, boot, run;
  double swap_peak_mib = 0;
  double server_bytes = 0;
  std::map<std::string, int> findings_by_kind;
};

RunNumbers numbers_of(const CellSummary& c, const std::filesystem::path& root) {
  RunNumbers n;
  for (const auto& entry : c.runs) {
    n.run.push_back(entry.run_s);
    for (const auto& f : entry.findings) ++n.findings_by_kind[f.kind];
    auto rec = read_run(root / entry.dir);
    if (!rec) continue;
    const RunReport& r = rec->report;
    if (r.boot_s >= 0) n.boot.push_back(r.boot_s);
    n.swap_peak_mib = std::max(n.swap_peak_mib, r.guest.swap_peak_mib);
    n.server_bytes += static_cast<double>(r.server.bytes_written + r.server.bytes_read);
    for (const auto& f : r.findings) {
      if (f.onset_s && f.detected_s) n.detection.push_back(*f.detected_s - *f.onset_s);
      if (f.detected_s && f.traces_s) n.traces.push_back(*f.traces_s - *f.detected_s);
    }
  }
  return n;
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

class PrometheusWriter : public SummaryWriter {
 public:
  Status write(const Summary& s, const std::filesystem::path& root) const override {
    return write_file_atomic(root / "metrics.prom", render_metrics(s, root))
        .context("writing metrics.prom");
  }
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const Summary& s, const std::filesystem::path& root) {
  Family runs{"wedge_runs", "Runs of the cell by verdict.", {}};
  Family findings{"wedge_findings", "Findings of the cell's runs by kind.", {}};
  Family rate{"wedge_failure_rate", "Share of the cell's counted runs whose kernel failed.", {}};
  Family low{"wedge_failure_rate_ci_low", "Lower end of the 95% Wilson interval of the rate.", {}};
  Family high{
      "wedge_failure_rate_ci_high", "Upper end of the 95% Wilson interval of the rate.", {}};
  Family detection{
      "wedge_detection_latency_seconds", "Mean time from a finding's onset to its detection.", {}};
  Family traces{"wedge_traces_latency_seconds",
                "Mean time from a finding's detection to its traces on disk.",
                {}};
  Family boot{"wedge_boot_seconds", "Mean time from domain start to agent ready.", {}};
  Family duration{"wedge_run_duration_seconds", "Mean wall time of a run.", {}};
  Family swap{"wedge_swap_peak_bytes", "Largest swap use seen in any of the cell's runs.", {}};
  Family server{"wedge_server_bytes", "Bytes through the storage server over the cell's runs.", {}};
  for (const auto& c : s.cells) {
    std::string l = cell_labels(c);
    for (const auto& [verdict, count] : c.verdicts) {
      runs.samples.emplace_back(l + fmt::format(",verdict=\"{}\"", escape_label_value(verdict)),
                                count);
    }
    RunNumbers n = numbers_of(c, root);
    for (const auto& [kind, count] : n.findings_by_kind) {
      findings.samples.emplace_back(l + fmt::format(",kind=\"{}\"", escape_label_value(kind)),
                                    count);
    }
    rate.samples.emplace_back(l, c.rate);
    low.samples.emplace_back(l, c.ci_low);
    high.samples.emplace_back(l, c.ci_high);
    if (!n.detection.empty()) detection.samples.emplace_back(l, mean(n.detection));
    if (!n.traces.empty()) traces.samples.emplace_back(l, mean(n.traces));
    if (!n.boot.empty()) boot.samples.emplace_back(l, mean(n.boot));
    if (!n.run.empty()) duration.samples.emplace_back(l, mean(n.run));
    swap.samples.emplace_back(l, n.swap_peak_mib * 1024 * 1024);
    server.samples.emplace_back(l, n.server_bytes);
  }
  std::string out;
  for (const Family* f : {&runs, &findings, &rate, &low, &high, &detection, &traces, &boot,
                          &duration, &swap, &server}) {
    if (f->samples.empty()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", f->name, f->help, f->name);
    for (const auto& [labels, value] : f->samples) {
      out += fmt::format("{}{{{}}} {}\n", f->name, labels, value);
    }
  }
  return out;
}

std::unique_ptr<SummaryWriter> make_prometheus_writer() {
  return std::make_unique<PrometheusWriter>();
}

}  // namespace wedge::reports
