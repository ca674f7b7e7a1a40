// The format registry: one entry per writer, built once on first use.
#include "reports/registry.h"

namespace wedge::reports {

const char* name_of(RunFormat format) {
  switch (format) {
    case RunFormat::kJson:
      return "json";
    case RunFormat::kHtml:
      return "html";
  }
  return "json";
}

const char* name_of(SummaryFormat format) {
  switch (format) {
    case SummaryFormat::kJson:
      return "json";
    case SummaryFormat::kHtml:
      return "html";
    case SummaryFormat::kJunit:
      return "junit";
    case SummaryFormat::kPrometheus:
      return "prometheus";
  }
  return "json";
}

const Writer& run_writer(RunFormat format) {
  static const JsonWriter json;
  static const std::unique_ptr<Writer> html = make_html_run_writer();
  switch (format) {
    case RunFormat::kJson:
      return json;
    case RunFormat::kHtml:
      return *html;
  }
  return json;
}

const SummaryWriter& summary_writer(SummaryFormat format) {
  static const std::array<std::unique_ptr<SummaryWriter>, kSummaryFormats.size()> writers = {
      make_summary_json_writer(), make_html_matrix_writer(), make_junit_writer(),
      make_prometheus_writer()};
  return *writers.at(static_cast<size_t>(format));
}

Status write_derived_run_reports(const RunReport& report, const std::filesystem::path& run_dir) {
  for (RunFormat f : kRunFormats) {
    if (f == RunFormat::kJson) continue;
    WEDGE_CHECK(run_writer(f).write(report, run_dir));
  }
  return ok_status();
}

Status write_summary_reports(const Summary& summary, const std::filesystem::path& root) {
  for (SummaryFormat f : kSummaryFormats) WEDGE_CHECK(summary_writer(f).write(summary, root));
  return ok_status();
}

}  // namespace wedge::reports
