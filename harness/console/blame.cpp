// Implementation of blame.h: the roles of frame_rules.h decide what is skipped; stalls and hung
// tasks add their anchors (entry points that dispatch work, the global waits a title names).
#include "harness/console/blame.h"

#include "harness/console/frame_rules.h"
#include "harness/console/stack_frame.h"

namespace wedge::console {

namespace {

// Class-specific skips: a needle matches anywhere in the name.
bool contains_any(std::string_view name, std::span<const std::string_view> needles) {
  for (std::string_view n : needles) {
    if (name.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// Entry points that dispatch work: in a stall, the frame just inside one of them names what
// was looping (a syscall, a work item, a timer, a softirq, a kthread's function). Matched as
// prefixes, leading underscores dropped (so "llcp_sock_sendmsg" is not "sock_sendmsg"):
// kernel/workqueue.c, arch/*/entry/, kernel/entry/common.c, kernel/softirq.c,
// kernel/time/timer.c, kernel/kthread.c, kernel/smpboot.c, fs/read_write.c, fs/ioctl.c,
// net/socket.c, net/core/dev.c, net/netlink/, fs/proc/inode.c, mm/mmap.c.
constexpr std::string_view kStallAnchors[] = {
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "do_sys_",
    "el0_svc",
    "invoke_syscall",
    "netif_receive_skb",
    "do_softirq",
    "handle_softirqs",
    "call_timer_fn",
    "run_timer_softirq",
    "run_timers",
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
    "sys_setsockopt",
    "sock_common_setsockopt",
    "do_iter_read",
    "do_iter_write",
    "call_read_iter",
    "call_write_iter",
    "mmap_region",
    "do_mmap",
    "task_work_run",
    "exit_to_user",
    "syscall_exit_to_user",
    "tasklet_action",
    "sysenter_dispatch",
    "system_call_fastpath",
    "entry_SYSCALL",
    "tracesys",
    "rtnetlink_rcv_msg",
    "nfnetlink_rcv_msg",
    "genl_rcv_msg",
    "proc_reg_",
};

// Syscall entry points by name, whatever the architecture prefix ("__x64_sys_ioctl",
// "SyS_ioctl", "sys_ioctl"): matched anywhere in the name.
constexpr std::string_view kStallSyscallAnchors[] = {
    "sys_ioctl", "SyS_ioctl", "sys_connect", "SyS_connect", "sys_socketpair", "SyS_socketpair",
};

bool is_stall_anchor(std::string_view name) {
  std::string_view bare = name.substr(std::min(name.find_first_not_of('_'), name.size()));
  if (bare.starts_with("compat_")) bare.remove_prefix(7);  // compat_blkdev_ioctl: the 32-bit twin
  for (std::string_view a : kStallAnchors) {
    if (bare.starts_with(a)) return true;
  }
  return contains_any(name, kStallSyscallAnchors);
}

// Frame prefix families the stall rule strips ("__x64_sys_futex" -> "sys_futex").
constexpr std::string_view kSyscallPrefixes[] = {
    "__x64_", "__ia32_", "__arm64_", "__se_", "__do_", "SYSC_", "SyS_", "compat_SyS_",
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
    if (is_stall_anchor(base)) {
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
  // The global waits a title names, because every blocked task on them looks alike below:
  // rtnl_lock (net/core/rtnetlink.c) and an RCU grace period (kernel/rcu/tree.c, srcutree.c;
  // synchronize_net in net/core/dev.c waits for one).
  for (const auto& f : frames) {
    std::string_view base = function_base(f);
    if (base.starts_with("rtnl_lock")) return "rtnl_lock";
    if (base.starts_with("synchronize_rcu") || base.starts_with("synchronize_srcu") ||
        base.starts_with("synchronize_net") || base.starts_with("synchronize_sched")) {
      return "synchronize_rcu";
    }
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    std::string_view base = function_base(frames[i]);
    if (frame_role(base) || contains_any(base, extra)) continue;
    // do_read_cache_folio is the body of read_cache_folio (mm/filemap.c): the API its caller
    // called names the wait on every kernel, whether the body is split out or inlined.
    if (base.starts_with("do_") && i + 1 < frames.size() &&
        function_base(frames[i + 1]) == base.substr(3)) {
      return std::string(base.substr(3));
    }
    return std::string(base);
  }
  return "";
}

}  // namespace

bool is_machinery_frame(std::string_view function) {
  auto role = frame_role(function);
  return role && *role != FrameRole::kWait;
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
