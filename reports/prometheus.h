// The Prometheus text exposition of a matrix (metrics.prom, for node_exporter's textfile
// collector or a Pushgateway), written in-project: escaping and rendering.
//
//   std::string text = reports::render_metrics(summary, root);
//   reports::escape_label_value("a\"b\\c\n");   // a\"b\\c\n
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "reports/summary.h"

namespace wedge::reports {

// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
[[nodiscard]] std::string escape_label_value(std::string_view value);

// Every metric family with HELP and TYPE, per cell with labels scenario, transport, workload,
// kernel and cell; run details (latencies, swap, server bytes) come from root / run.dir.
[[nodiscard]] std::string render_metrics(const Summary& summary, const std::filesystem::path& root);

}  // namespace wedge::reports
