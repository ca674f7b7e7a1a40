// Implementation of classify_run.h.
#include "harness/detect/classify_run.h"

#include <fmt/format.h>

#include "harness/detect/detector.h"

namespace wedge::detect {

using reports::Verdict;

DetectorOutcome DetectorOutcome::of(const Detector& detector) {
  return {detector.verdict(), detector.reason(), !detector.findings().empty()};
}

namespace {

// The first crash or hang of a server guest, if any.
const reports::Finding* server_failure(const std::vector<reports::Finding>& findings) {
  for (const auto& f : findings) {
    if (f.kind == "crash" || f.kind == "hang") return &f;
  }
  return nullptr;
}

void apply_server_findings(const RunOutcome& o, RunClassification& c) {
  const reports::Finding* f = server_failure(o.server_findings);
  if (f == nullptr || o.interrupted || o.host_failure) return;
  const std::string what = fmt::format("the server guest ({}) {}: {}", f->guest,
                                       f->kind == "crash" ? "crashed" : "hung", f->title);
  const bool client_failed = c.verdict == Verdict::kHang || c.verdict == Verdict::kCrash ||
                             c.verdict == Verdict::kUnexpectedOom ||
                             c.verdict == Verdict::kIoError || c.verdict == Verdict::kDataLoss ||
                             c.verdict == Verdict::kBootFailure;
  if (client_failed) {
    c.reason += "; " + what;
    return;
  }
  c.verdict = f->kind == "crash" ? Verdict::kCrash : Verdict::kHang;
  c.infra_error.clear();
  c.reason = what;
}

}  // namespace

RunClassification classify_run(const RunOutcome& o) {
  RunClassification c;
  c.infra_error = o.earlier_infra_error;
  if (o.interrupted) {
    // Whatever was found so far stays in the report, but the kernel was not tested through.
    c.verdict = Verdict::kInfraError;
    c.interrupted = o.interrupted;
    c.infra_error =
        fmt::format("interrupted by {} during {}", o.interrupted->signal, o.interrupted->phase);
    c.reason = c.infra_error;
  } else if (o.host_failure) {
    c.verdict = Verdict::kInfraError;
    c.infra_error = *o.host_failure;
    c.reason = c.infra_error;
  } else if (o.stage_error) {
    c.verdict = Verdict::kInfraError;
    c.infra_error = *o.stage_error;
    // A kernel failure seen while we were setting up still counts against the kernel.
    if (o.detector && o.detector->has_findings && o.detector->verdict != Verdict::kInfraError &&
        o.detector->verdict != Verdict::kWorkloadFailed) {
      c.verdict = o.detector->verdict;
    }
  } else if (o.boot_failure) {
    c.verdict = Verdict::kBootFailure;
    reports::Finding boot;
    boot.kind = "boot_failure";
    boot.title = *o.boot_failure;
    boot.detected_s = o.run_s;
    boot.evidence = "no agent hello";
    c.boot_finding = boot;
    c.reason = *o.boot_failure;
    c.infra_error.clear();
  } else if (o.detector) {
    c.verdict = o.detector->verdict;
    // The run ended without a verdict on the kernel: never an infra error without a reason.
    if (c.verdict == Verdict::kInfraError) c.infra_error = o.detector->reason;
    // I/O errors (or worse) in a guest whose storage sat on a full host disk are the host's.
    if (o.disk_problem && c.verdict != Verdict::kPass && c.verdict != Verdict::kInfraError) {
      c.verdict = Verdict::kInfraError;
      c.infra_error = fmt::format("{}; the guest's {} follows from it", *o.disk_problem,
                                  reports::to_string(o.detector->verdict));
      c.reason = c.infra_error;
    }
  } else {
    // No stage failed and no guest ran: nothing was tested.
    c.verdict = Verdict::kInfraError;
    if (c.infra_error.empty()) c.infra_error = "the run ended before its guest started";
  }
  if (c.reason.empty()) {
    c.reason =
        c.verdict == Verdict::kInfraError || !o.detector ? c.infra_error : o.detector->reason;
  }
  apply_server_findings(o, c);
  return c;
}

}  // namespace wedge::detect
