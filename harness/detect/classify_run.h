// The verdict of one run: a pure function over what its stages returned. It decides which
// outcome wins when several happened (an interrupt, a failed host, a stage that could not
// finish, a kernel that never became ready, the detector's findings) and keeps kernel
// failures apart from infrastructure failures.
//
//   detect::RunOutcome o;  o.detector = detect::DetectorOutcome::of(detector);
//   detect::RunClassification c = detect::classify_run(o);
//   report.verdict = c.verdict;  report.reason = c.reason;
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/report.h"

namespace wedge::detect {

class Detector;

// What the live detector concluded, as plain data.
struct DetectorOutcome {
  reports::Verdict verdict = reports::Verdict::kInfraError;
  std::string reason;
  bool has_findings = false;

  [[nodiscard]] static DetectorOutcome of(const Detector& detector);
};

struct RunOutcome {
  // Set when SIGINT/SIGTERM/SIGHUP stopped the run: the signal's name and the phase it hit.
  std::optional<reports::InterruptRecord> interrupted;
  // The host failed under the run (QEMU died, libvirt gone, server stopped, disk full).
  std::optional<std::string> host_failure;
  // A stage could not finish (the image, the hypervisor, the storage, the guest setup).
  std::optional<std::string> stage_error;
  // The kernel never became ready: why (the console's panic title, or the wait's error).
  std::optional<std::string> boot_failure;
  // The detector, once the guest was started (nullopt before).
  std::optional<DetectorOutcome> detector;
  // The host's disk under the run directory was full or failing when the run ended.
  std::optional<std::string> disk_problem;
  // What the report already says went wrong in teardown (destroying the guest, stopping the
  // server): kept unless a stronger reason replaces it.
  std::string earlier_infra_error;
  double run_s = 0;
  // What the run's server guests' consoles showed (findings[].guest set): a kernel serving
  // the storage that crashed or hung failed as a kernel, even when the client got through.
  std::vector<reports::Finding> server_findings;
};

struct RunClassification {
  reports::Verdict verdict = reports::Verdict::kInfraError;
  std::string reason;
  std::string infra_error;
  std::optional<reports::InterruptRecord> interrupted;
  // The boot failure as a finding (it comes before the detector's findings in the report).
  std::optional<reports::Finding> boot_finding;
};

// Precedence: interrupted > host failure > a stage's error (a kernel failure already found
// still counts against the kernel) > boot failure > the detector's verdict (an I/O error or
// worse on a full host disk is the host's). A server guest's crash or hang turns a pass, a
// timeout or a stage's error into that crash or hang, and is named in the reason of a client
// that failed too.
[[nodiscard]] RunClassification classify_run(const RunOutcome& outcome);

}  // namespace wedge::detect
