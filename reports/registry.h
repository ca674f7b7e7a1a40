// The report writers, one per format, found by enum: per-run formats implement Writer
// (report.h), per-matrix formats implement SummaryWriter (summary.h). Adding a format is one
// file, one enum value and one line in registry.cpp.
//
//   for (auto f : reports::kSummaryFormats) WEDGE_CHECK(reports::summary_writer(f).write(s, dir));
#pragma once

#include <array>
#include <memory>

#include "reports/report.h"
#include "reports/summary.h"

namespace wedge::reports {

enum class RunFormat { kJson, kHtml };
inline constexpr std::array kRunFormats = {RunFormat::kJson, RunFormat::kHtml};

enum class SummaryFormat { kJson, kHtml, kJunit, kPrometheus };
inline constexpr std::array kSummaryFormats = {SummaryFormat::kJson, SummaryFormat::kHtml,
                                               SummaryFormat::kJunit, SummaryFormat::kPrometheus};

[[nodiscard]] const char* name_of(RunFormat format);      // "json", "html"
[[nodiscard]] const char* name_of(SummaryFormat format);  // "json", "html", "junit", "prometheus"

[[nodiscard]] const Writer& run_writer(RunFormat format);
[[nodiscard]] const SummaryWriter& summary_writer(SummaryFormat format);

// Rewrites every per-run format except report.json (the source the others are made from).
[[nodiscard]] Status write_derived_run_reports(const RunReport& report,
                                               const std::filesystem::path& run_dir);
// Writes every per-matrix format into root.
[[nodiscard]] Status write_summary_reports(const Summary& summary,
                                           const std::filesystem::path& root);

// The writers' factories, each defined in its own file.
[[nodiscard]] std::unique_ptr<Writer> make_html_run_writer();
[[nodiscard]] std::unique_ptr<SummaryWriter> make_summary_json_writer();
[[nodiscard]] std::unique_ptr<SummaryWriter> make_html_matrix_writer();
[[nodiscard]] std::unique_ptr<SummaryWriter> make_junit_writer();
[[nodiscard]] std::unique_ptr<SummaryWriter> make_prometheus_writer();

}  // namespace wedge::reports
