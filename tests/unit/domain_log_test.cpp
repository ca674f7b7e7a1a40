// Tests of reading how a guest ended from libvirt's per-domain log, on lines recorded on this
// machine (libvirt 9.0, QEMU 7.2): QEMU SIGKILLed, QEMU told to stop by SIGTERM, QEMU failing.
#include "harness/vm/libvirt/domain_log.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

TEST(DomainLog, SigkilledQemuIsCrashedWithNoLastWords) {
  DomainEnd end = parse_domain_end(
      "-msg timestamp=on\n"
      "2026-11-25 13:49:00.152+0000: Domain id=5 is tainted: high-privileges\n"
      "2026-11-25 13:49:03.720+0000: shutting down, reason=crashed\n");
  EXPECT_EQ(end.reason, "crashed");
  EXPECT_EQ(end.detail, "");
  EXPECT_FALSE(end.host_signal);
}

TEST(DomainLog, SigtermedQemuSaysWhoSentTheSignal) {
  DomainEnd end = parse_domain_end(
      "2026-11-25 13:49:03.745+0000: Domain id=7 is tainted: high-privileges\n"
      "2026-11-25T13:49:05.937338Z qemu-system-x86_64: terminating on signal 15 from pid 18680 "
      "(bash)\n"
      "2026-11-25 13:49:07.746+0000: shutting down, reason=shutdown\n");
  EXPECT_EQ(end.reason, "shutdown");
  EXPECT_EQ(end.detail, "qemu-system-x86_64: terminating on signal 15 from pid 18680 (bash)");
  EXPECT_TRUE(end.host_signal);
}

TEST(DomainLog, QemuErrorIsTheDetailAndAnUnfinishedLogHasNoReason) {
  DomainEnd end = parse_domain_end(
      "qemu: could not open kernel file '/x/vmlinuz': No such file or directory\n");
  EXPECT_EQ(end.reason, "");
  EXPECT_EQ(end.detail, "qemu: could not open kernel file '/x/vmlinuz': No such file or directory");
  EXPECT_FALSE(end.host_signal);
}

TEST(DomainLog, ReadsOnlyWhatThisGuestAppended) {
  auto dir = TempDir::create("wedge-domain-log-test");
  ASSERT_TRUE(dir.ok());
  auto path = dir->path() / "wedge-x.log";
  ASSERT_TRUE(
      append_file(path, "2026-11-25 10:00:00.000+0000: shutting down, reason=destroyed\n").ok());
  DomainLog log(path);
  EXPECT_EQ(parse_domain_end(log.read_new()).reason, "") << "an earlier guest's line counted";
  ASSERT_TRUE(
      append_file(path, "2026-11-25 11:00:00.000+0000: shutting down, reason=crashed\n").ok());
  EXPECT_EQ(parse_domain_end(log.read_new()).reason, "crashed");
  DomainLog missing(dir->path() / "none.log");
  EXPECT_EQ(missing.read_new(), "");
}

TEST(DomainLog, PathFollowsTheEnvironmentOverride) {
  ::setenv("WEDGE_LIBVIRT_LOG_DIR", "/tmp/logs", 1);
  EXPECT_EQ(domain_log_path("wedge-a"), "/tmp/logs/wedge-a.log");
  ::unsetenv("WEDGE_LIBVIRT_LOG_DIR");
  EXPECT_EQ(domain_log_path("wedge-a"), "/var/log/libvirt/qemu/wedge-a.log");
}

}  // namespace
}  // namespace wedge::vm
