// classify_run: which outcome wins when several happened, and how a server guest's own crash
// or hang counts (a kernel serving the storage is a kernel under test too).
#include "harness/detect/classify_run.h"

#include <gtest/gtest.h>

namespace wedge::detect {
namespace {

using reports::Verdict;

RunOutcome passed() {
  RunOutcome o;
  o.detector = DetectorOutcome{Verdict::kPass, "workload finished, no kernel findings", false};
  return o;
}

reports::Finding server_crash() {
  reports::Finding f;
  f.kind = "crash";
  f.title = "kernel panic: System is deadlocked on memory";
  f.guest = "server";
  return f;
}

TEST(ClassifyRun, PassWithoutServerFindingsStaysPass) {
  RunClassification c = classify_run(passed());
  EXPECT_EQ(c.verdict, Verdict::kPass);
  EXPECT_EQ(c.reason, "workload finished, no kernel findings");
}

TEST(ClassifyRun, HostFailureBeatsTheDetector) {
  RunOutcome o = passed();
  o.host_failure = "QEMU died";
  RunClassification c = classify_run(o);
  EXPECT_EQ(c.verdict, Verdict::kInfraError);
  EXPECT_EQ(c.infra_error, "QEMU died");
}

TEST(ClassifyRun, AServerGuestCrashTurnsAPassIntoACrash) {
  RunOutcome o = passed();
  o.server_findings = {server_crash()};
  RunClassification c = classify_run(o);
  EXPECT_EQ(c.verdict, Verdict::kCrash);
  EXPECT_EQ(c.reason,
            "the server guest (server) crashed: kernel panic: System is deadlocked on memory");
  EXPECT_TRUE(c.infra_error.empty());
}

TEST(ClassifyRun, AServerGuestCrashTurnsAStageErrorIntoACrash) {
  RunOutcome o;
  o.stage_error = "attaching nvme-tcp: connect refused";
  o.detector = DetectorOutcome{Verdict::kInfraError, "", false};
  o.server_findings = {server_crash()};
  RunClassification c = classify_run(o);
  EXPECT_EQ(c.verdict, Verdict::kCrash);
  EXPECT_TRUE(c.infra_error.empty());
}

TEST(ClassifyRun, AClientHangKeepsItsVerdictAndNamesTheServerCrash) {
  RunOutcome o;
  o.detector = DetectorOutcome{Verdict::kHang, "nvme-tcp: server not answering requests", true};
  o.server_findings = {server_crash()};
  RunClassification c = classify_run(o);
  EXPECT_EQ(c.verdict, Verdict::kHang);
  EXPECT_EQ(c.reason,
            "nvme-tcp: server not answering requests; the server guest (server) crashed: kernel "
            "panic: System is deadlocked on memory");
}

TEST(ClassifyRun, ServerWarningsAloneDoNotFailTheRun) {
  RunOutcome o = passed();
  reports::Finding warning = server_crash();
  warning.kind = "warning";
  o.server_findings = {warning};
  EXPECT_EQ(classify_run(o).verdict, Verdict::kPass);
}

TEST(ClassifyRun, AnInterruptedRunStaysInfraWhateverTheServerDid) {
  RunOutcome o = passed();
  o.interrupted = reports::InterruptRecord{"SIGINT", "workload"};
  o.server_findings = {server_crash()};
  EXPECT_EQ(classify_run(o).verdict, Verdict::kInfraError);
}

}  // namespace
}  // namespace wedge::detect
