// Table tests for the frame rules (frame_rules.h) and the blame rules built on them (blame.h):
// each family is matched by prefix whatever its variant, ordinary code is never skipped, and
// every entry names the kernel source it was written from.
#include <gtest/gtest.h>

#include "harness/console/blame.h"
#include "harness/console/frame_rules.h"

namespace wedge::console {
namespace {

struct RoleCase {
  const char* function;
  std::optional<FrameRole> role;
};

class FrameRoleTable : public ::testing::TestWithParam<RoleCase> {};

TEST_P(FrameRoleTable, FunctionHasItsRole) {
  const RoleCase& c = GetParam();
  EXPECT_EQ(frame_role(c.function), c.role) << c.function;
}

constexpr auto kReporting = FrameRole::kReporting;
constexpr auto kPrimitive = FrameRole::kPrimitive;
constexpr auto kWait = FrameRole::kWait;

INSTANTIATE_TEST_SUITE_P(
    Families, FrameRoleTable,
    ::testing::Values(
        // kernel/printk/, lib/dump_stack.c: every variant of the family.
        RoleCase{"_printk", kReporting}, RoleCase{"vprintk_emit", kReporting},
        RoleCase{"dump_stack_lvl", kReporting}, RoleCase{"__dump_stack", kReporting},
        // Sanitizer runtimes, with and without leading underscores, with compiler suffixes.
        RoleCase{"__kasan_check_read", kReporting}, RoleCase{"kasan_report.cold", kReporting},
        RoleCase{"__asan_load8", kReporting}, RoleCase{"__msan_warning", kReporting},
        RoleCase{"kmsan_internal_check_memory", kReporting}, RoleCase{"__tsan_read4", kReporting},
        RoleCase{"kcsan_setup_watchpoint", kReporting}, RoleCase{"kfence_report_error", kReporting},
        RoleCase{"__ubsan_handle_shift_out_of_bounds", kReporting},
        RoleCase{"__sanitizer_cov_trace_pc", kReporting},
        // WARN/BUG/oops/panic machinery, RCU and NMI dumpers, debug helpers.
        RoleCase{"__warn", kReporting}, RoleCase{"warn_slowpath_fmt", kReporting},
        RoleCase{"report_bug", kReporting}, RoleCase{"exc_invalid_op", kReporting},
        RoleCase{"panic", kReporting}, RoleCase{"rcu_dump_cpu_stacks", kReporting},
        RoleCase{"nmi_cpu_backtrace.cold", kReporting},
        RoleCase{"refcount_warn_saturate", kReporting},
        RoleCase{"__list_add_valid_or_report", kReporting},
        RoleCase{"debug_object_free", kReporting}, RoleCase{"__might_resched", kReporting},
        // Lockdep, then the locks themselves.
        RoleCase{"lock_acquire", kReporting}, RoleCase{"__lock_acquire", kReporting},
        RoleCase{"lockdep_hardirqs_on_prepare", kReporting},
        RoleCase{"_raw_spin_lock_irqsave", kPrimitive}, RoleCase{"do_raw_spin_lock", kPrimitive},
        RoleCase{"queued_spin_lock_slowpath", kPrimitive},
        RoleCase{"__mutex_lock_common", kPrimitive}, RoleCase{"down_write_killable", kPrimitive},
        RoleCase{"rwsem_down_write_slowpath", kPrimitive}, RoleCase{"up_read", kPrimitive},
        // Library primitives and API argument checks.
        RoleCase{"memcpy_orig", kPrimitive}, RoleCase{"strscpy_pad", kPrimitive},
        RoleCase{"__kmalloc_node", kPrimitive}, RoleCase{"kfree", kPrimitive},
        RoleCase{"kobject_put", kPrimitive}, RoleCase{"usb_submit_urb", kPrimitive},
        RoleCase{"kvmalloc_node", kPrimitive}, RoleCase{"__alloc_pages_noprof", kPrimitive},
        RoleCase{"__raw_readb", kPrimitive}, RoleCase{"call_rwsem_down_read_failed", kPrimitive},
        RoleCase{"bpf_prog_array_copy_to_user", kPrimitive},
        RoleCase{"__reiserfs_panic", kReporting}, RoleCase{"wake_up_new_task", std::nullopt},
        RoleCase{"drop_nlink", kPrimitive}, RoleCase{"mark_buffer_dirty", kPrimitive},
        // Where blocked tasks wait.
        RoleCase{"__schedule", kWait}, RoleCase{"schedule_timeout", kWait},
        RoleCase{"io_schedule", kWait}, RoleCase{"folio_wait_bit_common", kWait},
        RoleCase{"blk_mq_freeze_queue_wait", kWait}, RoleCase{"synchronize_rcu_expedited", kWait},
        RoleCase{"mempool_alloc", kWait},
        // Ordinary code, including names that merely contain a family's letters.
        RoleCase{"tcf_exts_destroy", std::nullopt}, RoleCase{"nbd_ioctl", std::nullopt},
        RoleCase{"qlist_free_all", std::nullopt}, RoleCase{"xfrm_state_fini", std::nullopt},
        RoleCase{"shutdown_task", std::nullopt}, RoleCase{"blk_mq_dispatch_rq_list", std::nullopt},
        RoleCase{"blk_mq_freeze_queue", std::nullopt}));

TEST(FrameRules, EveryEntryNamesItsKernelSource) {
  ASSERT_FALSE(frame_rules().empty());
  for (const FrameRule& r : frame_rules()) {
    EXPECT_FALSE(r.pattern.empty());
    EXPECT_FALSE(r.source.empty()) << r.pattern;
  }
}

TEST(FrameRules, TheMatchingEntryIsReported) {
  const FrameRule* rule = matching_frame_rule("__kasan_check_write");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->pattern, "kasan_");
  EXPECT_EQ(rule->source, "mm/kasan/");
  EXPECT_EQ(matching_frame_rule("nbd_queue_rq"), nullptr);
}

TEST(BlameFrames, StackRuleSkipsReportingAndPrimitivesButNotWaits) {
  EXPECT_EQ(blame_frames({"dump_stack_lvl", "__warn", "report_bug", "handle_bug", "exc_invalid_op",
                          "tcf_exts_destroy", "tcf_action_destroy"},
                         BlameRule::kStack, {}),
            "tcf_exts_destroy");
  EXPECT_EQ(blame_frames({"__kasan_check_read", "_raw_spin_lock", "memcpy", "hci_dev_do_close"},
                         BlameRule::kStack, {}),
            "hci_dev_do_close");
  // A crash inside the scheduler is the scheduler's: waits are skipped for hung tasks only.
  EXPECT_EQ(blame_frames({"__schedule", "schedule"}, BlameRule::kStack, {}), "__schedule");
}

TEST(BlameFrames, HungTaskRulePassesWaitsAndNamesGlobalWaits) {
  EXPECT_EQ(blame_frames({"__schedule", "schedule", "io_schedule", "folio_wait_bit_common",
                          "__folio_lock", "filemap_fault"},
                         BlameRule::kHungTask, {}),
            "filemap_fault");
  EXPECT_EQ(blame_frames({"__schedule", "schedule", "__mutex_lock", "rtnl_lock", "dev_ioctl"},
                         BlameRule::kHungTask, {}),
            "rtnl_lock");
  EXPECT_EQ(blame_frames(
                {"schedule", "wait_for_completion", "__wait_rcu_gp", "synchronize_rcu_normal", "x"},
                BlameRule::kHungTask, {}),
            "synchronize_rcu");
  // The body of an API is named by the API its caller called.
  EXPECT_EQ(blame_frames({"__schedule", "schedule", "io_schedule", "folio_wait_bit_common",
                          "do_read_cache_folio", "read_cache_folio", "read_part_sector"},
                         BlameRule::kHungTask, {}),
            "read_cache_folio");
  EXPECT_EQ(blame_frames({"schedule", "do_exit", "do_group_exit"}, BlameRule::kHungTask, {}),
            "do_exit");
}

TEST(BlameFrames, StallRuleNamesTheFrameInsideTheDispatcher) {
  EXPECT_EQ(blame_frames({"_raw_spin_lock", "wedge_spin", "wedge_write", "vfs_write", "ksys_write",
                          "do_syscall_64"},
                         BlameRule::kStall, {}),
            "wedge_write");
  // Anchors are prefixes: a protocol's own sendmsg is not net/socket.c's sock_sendmsg.
  EXPECT_EQ(blame_frames({"console_unlock", "vprintk_emit", "printk", "nfc_llcp_send_ui_frame",
                          "llcp_sock_sendmsg", "sock_sendmsg", "___sys_sendmsg"},
                         BlameRule::kStall, {}),
            "llcp_sock_sendmsg");
  // The 32-bit twin of an anchor is an anchor.
  EXPECT_EQ(blame_frames({"lo_compat_ioctl", "compat_blkdev_ioctl", "__do_compat_sys_ioctl"},
                         BlameRule::kStall, {}),
            "lo_compat_ioctl");
}

}  // namespace
}  // namespace wedge::console
