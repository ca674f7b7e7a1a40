// Pushgateway PUT via curl: the group URL is <url>/metrics/job/wedge/matrix/<name>.
#include "harness/run/pushgateway.h"

#include <chrono>

#include "harness/util/process.h"

namespace wedge::run {

Status push_metrics(const std::string& url, const std::string& matrix,
                    const std::filesystem::path& metrics_file) {
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string target = base + "/metrics/job/wedge/matrix/" + matrix;
  auto out = run_checked({"curl", "--silent", "--show-error", "--fail", "-X", "PUT",
                          "--data-binary", "@" + metrics_file.string(), target},
                         std::chrono::seconds(30));
  if (!out) return out.error().context("pushing metrics to " + target);
  return ok_status();
}

}  // namespace wedge::run
