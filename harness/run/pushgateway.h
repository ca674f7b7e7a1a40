// Pushing a matrix's metrics.prom to a Prometheus Pushgateway (through curl, argv only).
//
//   WEDGE_CHECK(run::push_metrics("http://127.0.0.1:9091", "nightly", root / "metrics.prom"));
#pragma once

#include <filesystem>
#include <string>

#include "harness/util/result.h"

namespace wedge::run {

// PUTs the file as group job="wedge", matrix=<matrix> (replacing that group's previous push).
[[nodiscard]] Status push_metrics(const std::string& url, const std::string& matrix,
                                  const std::filesystem::path& metrics_file);

}  // namespace wedge::run
