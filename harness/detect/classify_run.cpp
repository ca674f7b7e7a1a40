// Implementation of classify_run.h.
#include "harness/detect/classify_run.h"

#include <fmt/format.h>

#include "harness/detect/detector.h"

namespace wedge::detect {

using reports::Verdict;

DetectorOutcome DetectorOutcome::of(const Detector& detector) {
  return {detector.verdict(), detector.reason(), !detector.findings().empty()};
}

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
  return c;
}

}  // namespace wedge::detect
