// Implementation of blame.h: substring lists over function names, in the spirit of the frame
// rules kernel bug trackers use so that one bug gets one title on every kernel.
#include "harness/console/blame.h"

#include "harness/console/stack_frame.h"

namespace wedge::console {

namespace {

// A needle "^x" matches names starting with x (leading underscores aside); any other needle
// matches anywhere in the name.
bool contains_any(std::string_view name, std::span<const std::string_view> needles) {
  std::string_view bare = name.substr(std::min(name.find_first_not_of('_'), name.size()));
  for (std::string_view n : needles) {
    bool hit =
        n.starts_with('^') ? bare.starts_with(n.substr(1)) : name.find(n) != std::string_view::npos;
    if (hit) return true;
  }
  return false;
}

// Reporting machinery and primitives, matched as substrings of the function name.
constexpr std::string_view kMachinery[] = {
    // printing and dumping
    "dump_stack",
    "show_stack",
    "show_regs",
    "show_trace",
    "printk",
    "vprintk",
    "print_address",
    "print_report",
    "print_trailer",
    "print_usage_bug",
    "print_circular",
    "sched_show_task",
    "nmi_cpu_backtrace",
    "nmi_trigger_cpumask",
    "arch_trigger_cpumask",
    "rcu_dump_cpu_stacks",
    "print_cpu_stall",
    "print_other_cpu_stall",
    "check_cpu_stall",
    "panic",
    "oops_end",
    "__warn",
    "warn_slowpath",
    "warn_alloc",
    "report_bug",
    "fixup_bug",
    "do_error",
    "_trap",
    "invalid_op",
    "handle_bug",
    "bug_handler",
    "brk_handler",
    "do_debug_exception",
    "el1_dbg",
    "el1h_64_sync",
    "el1_sync",
    "__do_kernel_fault",
    "do_bad_area",
    "do_translation_fault",
    "do_mem_abort",
    "el1_abort",
    "__die",
    "no_context",
    "page_fault_oops",
    "kernelmode_fixup",
    "asm_exc",
    "exc_page_fault",
    "do_user_addr_fault",
    "__bad_area",
    "bad_area",
    // sanitizers and debug checks
    "kasan",
    "__asan",
    "kmsan",
    "__msan",
    "ubsan",
    "__sanitizer",
    "kcsan",
    "kfence",
    "check_memory_region",
    "memory_is_poisoned",
    "read_word_at_a_time",
    "debug_object",
    "debug_print_object",
    "debug_check_no",
    "refcount_warn",
    "refcount_inc",
    "refcount_dec",
    "refcount_add",
    "refcount_sub",
    "refcount_set",
    "check_preemption_disabled",
    "debug_smp_processor_id",
    "this_cpu_preempt_check",
    "__might_sleep",
    "___might_sleep",
    "might_fault",
    "__might_fault",
    "__might_resched",
    "fortify_panic",
    "__fortify",
    "usercopy_abort",
    "__check_object_size",
    "check_heap_object",
    "__list_add_valid",
    "__list_del_entry",
    "stack_chk",
    "skb_panic",
    "skb_over_panic",
    "skb_under_panic",
    // lockdep
    "lockdep",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "lock_is_held",
    "mark_lock",
    "validate_chain",
    "check_noncircular",
    "check_prev_add",
    "print_lock",
    "reacquire_held",
    "look_up_lock",
    "register_lock_class",
    "__lock_acquire",
    // locks and other primitives every path goes through
    "spin_lock",
    "spin_unlock",
    "spin_trylock",
    "raw_read_lock",
    "raw_write_lock",
    "_raw_",
    "queued_spin",
    "mutex_lock",
    "mutex_unlock",
    "down_read",
    "down_write",
    "up_read",
    "up_write",
    "^memcpy",
    "^memcmp",
    "^memset",
    "^memmove",
    "^memchr",
    "^strcmp",
    "^strncmp",
    "^strlen",
    "^strnlen",
    "^strscpy",
    "^strcpy",
    "^strncpy",
    "^strlcpy",
    "^strchr",
    "^strnstr",
    "^string",
    "^memdup",
    "osq_lock",
    "mutex_optimistic_spin",
    "_indirect_thunk_",
    "perf_trace",
    "timer_is_static_object",
    "work_is_static_object",
    "dump_backtrace",
    "walk_stackframe",
    "unwind_",
    "^rb_",
    "^__rb_",
    "^klist_",
    "^xas_",
    "^test_and_",
    "^set_bit",
    "^clear_bit",
    "skb_put",
    "skb_push",
    "assertfail",
    "warn_",
    "ref_tracker",
    "local_bh_enable",
    "devres_",
    "sysfs_remove",
    "uevent",
    "kthread_stop",
    "wait_for_completion",
    "finish_wait",
    "__wake_up",
    "del_timer",
    "lock_timer_base",
    "atomic_dec_and",
    "stack_trace",
    "^logic_",
    "flush_work",
    "flush_workqueue",
    "rollback_registered",
    "^kfree",
    "kobject_del",
    "kobject_put",
    "device_del",
    "device_unregister",
    "usb_kill_urb",
    "usb_submit_urb",
    "_copy_to_user",
    "_copy_from_user",
    "copy_page_to_iter",
    "vsnprintf",
    "^sprintf",
    "^snprintf",
    "^scnprintf",
    "device_destroy",
    "hwrng_unregister",
    "do_tag_check_fault",
    "cancel_work",
    "try_to_grab_pending",
    "get_device_parent",
    "device_add",
    "device_release",
    "__unregister_client",
    "i2c_del_adapter",
    "tty_unregister_device",
    "unregister_netdevice",
    "kobject_uevent",
    "print_unlock_imbalance",
    "trace_hardirqs",
    "hwasan",
    "arch_stack_walk",
    "^vscnprintf",
    "write_comp_data",
    "__sanitizer_cov",
    "kcov",
    "^page_fault",
    "device_for_each_child",
    "format_decode",
    "^kvfree",
    "^insert_work",
    "^__queue_work",
    "^queue_work",
    "^new_sync_read",
    "^new_sync_write",
    "kmem_cache_alloc",
    "^__kmalloc",
    "^kmalloc",
    "^__mod_timer",
    "^mod_timer",
    "^folio_unlock",
    "^unlock_page",
    "^down_trylock",
};

// Entry points that dispatch work: in a stall, the frame just inside one of them names what
// was looping (a syscall, a work item, a timer, a kthread's function).
constexpr std::string_view kStallAnchors[] = {
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "__do_sys_",
    "el0_svc",
    "invoke_syscall",
    "netif_receive_skb",
    "do_softirq",
    "__do_softirq",
    "handle_softirqs",
    "call_timer_fn",
    "run_timer_softirq",
    "_run_timers",
    "run_ksoftirqd",
    "smpboot_thread_fn",
    "kthread",
    "start_secondary",
    "cpu_startup_entry",
    "ret_from_fork",
    "vfs_write",
    "vfs_read",
    "vfs_ioctl",
    "do_vfs_ioctl",
    "blkdev_ioctl",
    "sock_sendmsg",
    "sock_recvmsg",
    "sock_ioctl",
    "__sys_setsockopt",
    "sock_common_setsockopt",
    "do_iter_read",
    "do_iter_write",
    "call_read_iter",
    "call_write_iter",
    "mmap_region",
    "do_mmap",
    "task_work_run",
    "exit_to_user",
    "tasklet_action",
    "sysenter_dispatch",
    "system_call_fastpath",
    "entry_SYSCALL",
    "tracesys",
    "sys_ioctl",
    "SyS_ioctl",
    "sys_connect",
    "SyS_connect",
    "sys_socketpair",
    "SyS_socketpair",
    "rtnetlink_rcv_msg",
    "nfnetlink_rcv_msg",
    "genl_rcv_msg",
    "proc_reg_",
};

// Frame suffix families the stall rule strips ("__x64_sys_futex" -> "sys_futex").
constexpr std::string_view kSyscallPrefixes[] = {
    "__x64_", "__ia32_", "__arm64_", "__se_", "__do_", "SYSC_", "SyS_", "compat_SyS_",
};

// Hung tasks: where every blocked task waits. Anchors name the shared lock or RCU wait.
constexpr std::string_view kHungTaskSkips[] = {
    "sched",
    "_lock",
    "_slowlock",
    "down",
    "completion",
    "kthread",
    "wait",
    "synchronize",
    "context_switch",
    "__switch_to",
    "cancel_delayed_work",
    "io_schedule",
    "rcu_barrier",
    "mempool_alloc",
    "cancel_work",
    "flush_work",
    "flush_workqueue",
};

bool skipped(std::string_view base, std::span<const std::string_view> extra) {
  return is_machinery_frame(base) || contains_any(base, extra);
}

std::string stall_frame(const std::vector<std::string>& frames,
                        std::span<const std::string_view> extra) {
  std::string_view previous;
  for (const auto& f : frames) {
    std::string_view base = function_base(f);
    // Waiting for other CPUs to run a function: the stall is in the cross-call itself.
    if (base.starts_with("smp_call_function") || base.starts_with("on_each_cpu")) {
      return "smp_call_function";
    }
    if (contains_any(base, kStallAnchors)) {
      if (previous.empty()) continue;  // the loop itself is the entry point's caller's problem
      for (std::string_view p : kSyscallPrefixes) {
        if (previous.starts_with(p) && previous.find("sys_") != std::string_view::npos) {
          previous.remove_prefix(p.size());
        }
      }
      return std::string(previous);
    }
    if (!skipped(base, extra)) previous = base;
  }
  return std::string(previous);
}

std::string hung_task_frame(const std::vector<std::string>& frames,
                            std::span<const std::string_view> extra) {
  for (const auto& f : frames) {
    std::string_view base = function_base(f);
    if (base.starts_with("rtnl_lock")) return "rtnl_lock";
    if (base.starts_with("synchronize_rcu") || base.starts_with("synchronize_srcu") ||
        base.starts_with("synchronize_net") || base.starts_with("synchronize_sched")) {
      return "synchronize_rcu";
    }
  }
  for (const auto& f : frames) {
    std::string_view base = function_base(f);
    if (!skipped(base, extra) && !contains_any(base, kHungTaskSkips)) return std::string(base);
  }
  return "";
}

}  // namespace

bool is_machinery_frame(std::string_view function) {
  return contains_any(function_base(function), kMachinery);
}

std::string blame_frames(const std::vector<std::string>& frames, BlameRule rule,
                         std::span<const std::string_view> extra_skip) {
  switch (rule) {
    case BlameRule::kStall:
      return stall_frame(frames, extra_skip);
    case BlameRule::kHungTask:
      return hung_task_frame(frames, extra_skip);
    case BlameRule::kStack:
      break;
  }
  for (const auto& f : frames) {
    std::string_view base = function_base(f);
    if (!skipped(base, extra_skip)) return std::string(base);
  }
  return "";
}

}  // namespace wedge::console
