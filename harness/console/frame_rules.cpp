// The frame table of frame_rules.h, grouped by the kernel source it was written from. First
// match wins; entries are families (prefixes), so one rule covers a subsystem's variants
// (__kasan_check_read, kasan_report, kasan_save_stack) on every kernel version.
#include "harness/console/frame_rules.h"

#include <algorithm>

#include "harness/console/stack_frame.h"

namespace wedge::console {

namespace {

using M = NameMatch;
using R = FrameRole;

constexpr FrameRule kRules[] = {
    // --- Printing and stack dumping ---------------------------------------------------------
    {"printk", M::kPrefix, R::kReporting,
     "kernel/printk/printk.c"},  // printk, _printk, printk_deferred
    {"vprintk", M::kPrefix, R::kReporting,
     "kernel/printk/printk.c"},  // vprintk_emit, vprintk_default
    {"console_unlock", M::kPrefix, R::kReporting, "kernel/printk/printk.c"},
    {"console_flush", M::kPrefix, R::kReporting, "kernel/printk/printk.c"},
    {"dump_stack", M::kPrefix, R::kReporting, "lib/dump_stack.c"},  // dump_stack_lvl, __dump_stack
    {"show_stack", M::kPrefix, R::kReporting, "arch/*/kernel/dumpstack.c, traps.c"},
    {"show_trace", M::kPrefix, R::kReporting, "arch/x86/kernel/dumpstack.c"},
    {"show_regs", M::kPrefix, R::kReporting, "arch/*/kernel/process*.c"},  // show_regs, __show_regs
    {"show_iret_regs", M::kPrefix, R::kReporting, "arch/x86/kernel/dumpstack.c"},
    {"show_opcodes", M::kPrefix, R::kReporting, "arch/x86/kernel/dumpstack.c"},
    {"dump_backtrace", M::kPrefix, R::kReporting, "arch/arm64/kernel/stacktrace.c"},
    {"walk_stackframe", M::kPrefix, R::kReporting, "arch/*/kernel/stacktrace.c"},
    {"arch_stack_walk", M::kPrefix, R::kReporting, "arch/*/kernel/stacktrace.c"},
    {"unwind_", M::kPrefix, R::kReporting, "arch/x86/kernel/unwind_*.c"},
    {"stack_trace_", M::kPrefix, R::kReporting, "kernel/stacktrace.c"},  // stack_trace_save
    {"save_stack", M::kPrefix, R::kReporting, "kernel/stacktrace.c, mm/kasan/common.c"},
    {"sched_show_task", M::kPrefix, R::kReporting, "kernel/sched/core.c"},
    {"show_state_filter", M::kPrefix, R::kReporting, "kernel/sched/core.c"},
    {"handle_sysrq", M::kPrefix, R::kReporting, "drivers/tty/sysrq.c"},  // __handle_sysrq
    {"sysrq_handle_", M::kPrefix, R::kReporting, "drivers/tty/sysrq.c"},
    // --- NMI backtraces and the RCU / watchdog stall dumpers ----------------------------------
    {"nmi_cpu_backtrace", M::kPrefix, R::kReporting, "lib/nmi_backtrace.c"},
    {"nmi_trigger_cpumask_backtrace", M::kPrefix, R::kReporting, "lib/nmi_backtrace.c"},
    {"arch_trigger_cpumask_backtrace", M::kPrefix, R::kReporting, "arch/x86/kernel/apic/hw_nmi.c"},
    {"nmi_raise_cpu_backtrace", M::kPrefix, R::kReporting, "arch/x86/kernel/apic/hw_nmi.c"},
    {"nmi_handle", M::kPrefix, R::kReporting, "arch/x86/kernel/nmi.c"},
    {"default_do_nmi", M::kExact, R::kReporting, "arch/x86/kernel/nmi.c"},
    {"do_nmi", M::kExact, R::kReporting, "arch/x86/kernel/nmi.c"},
    {"exc_nmi", M::kExact, R::kReporting, "arch/x86/kernel/nmi.c"},
    {"rcu_dump_cpu_stacks", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"print_cpu_stall", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"print_other_cpu_stall", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"check_cpu_stall", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"rcu_check_gp_kthread_starvation", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"rcu_print_task_stall", M::kPrefix, R::kReporting, "kernel/rcu/tree_stall.h"},
    {"watchdog_timer_fn", M::kPrefix, R::kReporting, "kernel/watchdog.c"},
    {"watchdog_overflow_callback", M::kPrefix, R::kReporting, "kernel/watchdog_perf.c"},
    // --- panic, oops, WARN and BUG machinery --------------------------------------------------
    // Every function named for a panic raises, prints or sets one up: panic, nmi_panic,
    // check_panic_on_warn (kernel/panic.c), skb_over_panic (net/core/skbuff.c), fortify_panic
    // (lib/string_helpers.c), __reiserfs_panic, __btrfs_panic (fs/*/).
    {"panic", M::kSubstring, R::kReporting, "kernel/panic.c and the *_panic helpers"},
    {"warn", M::kExact, R::kReporting, "kernel/panic.c"},    // __warn
    {"warn_", M::kPrefix, R::kReporting, "kernel/panic.c"},  // warn_slowpath_fmt, __warn_printk
    {"warn_alloc", M::kPrefix, R::kReporting, "mm/page_alloc.c"},
    {"stack_chk_fail", M::kPrefix, R::kReporting, "kernel/panic.c"},  // __stack_chk_fail
    {"report_bug", M::kPrefix, R::kReporting, "lib/bug.c"},
    {"find_bug", M::kPrefix, R::kReporting, "lib/bug.c"},
    {"fixup_bug", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"handle_bug", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"do_error_trap", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"do_trap", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"do_invalid_op", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"invalid_op", M::kExact, R::kReporting, "arch/x86/entry/entry_64.S"},
    {"exc_", M::kPrefix, R::kReporting,
     "arch/x86/kernel/traps.c"},  // exc_invalid_op, exc_page_fault
    {"asm_exc_", M::kPrefix, R::kReporting, "arch/x86/include/asm/idtentry.h"},
    {"do_general_protection", M::kPrefix, R::kReporting, "arch/x86/kernel/traps.c"},
    {"general_protection", M::kExact, R::kReporting, "arch/x86/entry/entry_64.S"},
    {"die", M::kExact, R::kReporting, "arch/*/kernel/dumpstack.c, traps.c"},    // die, __die
    {"die_", M::kPrefix, R::kReporting, "arch/*/kernel/dumpstack.c, traps.c"},  // __die_body
    {"oops_", M::kPrefix, R::kReporting, "arch/x86/kernel/dumpstack.c"},        // oops_end
    {"page_fault_oops", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},
    {"kernelmode_fixup_or_oops", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},
    {"no_context", M::kExact, R::kReporting, "arch/x86/mm/fault.c"},
    {"bad_area", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},  // __bad_area_nosemaphore
    {"do_page_fault", M::kPrefix, R::kReporting, "arch/*/mm/fault.c"},
    {"do_user_addr_fault", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},
    {"do_kern_addr_fault", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},
    {"handle_page_fault", M::kPrefix, R::kReporting, "arch/x86/mm/fault.c"},
    {"page_fault", M::kExact, R::kReporting, "arch/x86/entry/entry_64.S"},
    {"do_kernel_fault", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},  // __do_kernel_fault
    {"do_bad_area", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},
    {"do_translation_fault", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},
    {"do_mem_abort", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},
    {"do_tag_check_fault", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},
    {"do_DataAbort", M::kPrefix, R::kReporting, "arch/arm/mm/fault.c"},
    {"do_PrefetchAbort", M::kPrefix, R::kReporting, "arch/arm/mm/fault.c"},
    {"do_debug_exception", M::kPrefix, R::kReporting, "arch/arm64/mm/fault.c"},
    {"brk_handler", M::kPrefix, R::kReporting, "arch/arm64/kernel/debug-monitors.c"},
    {"call_break_hook", M::kPrefix, R::kReporting, "arch/arm64/kernel/debug-monitors.c"},
    {"bug_handler", M::kPrefix, R::kReporting, "arch/arm64/kernel/traps.c"},
    {"el1", M::kPrefix, R::kReporting,
     "arch/arm64/kernel/entry-common.c"},  // el1_abort, el1h_64_sync
    // --- Sanitizer runtimes and coverage -----------------------------------------------------
    {"kasan_", M::kPrefix, R::kReporting, "mm/kasan/"},          // __kasan_check_read, kasan_report
    {"asan_", M::kPrefix, R::kReporting, "mm/kasan/generic.c"},  // __asan_load8
    {"hwasan_", M::kPrefix, R::kReporting, "mm/kasan/sw_tags.c"},
    {"check_memory_region", M::kPrefix, R::kReporting, "mm/kasan/generic.c"},
    {"memory_is_poisoned", M::kPrefix, R::kReporting, "mm/kasan/generic.c"},
    {"print_address_description", M::kPrefix, R::kReporting, "mm/kasan/report.c"},
    {"print_report", M::kPrefix, R::kReporting, "mm/kasan/report.c, kernel/kcsan/report.c"},
    {"describe_object", M::kPrefix, R::kReporting, "mm/kasan/report.c"},
    {"print_memory_metadata", M::kPrefix, R::kReporting, "mm/kasan/report.c"},
    {"kmsan_", M::kPrefix, R::kReporting, "mm/kmsan/"},
    {"msan_", M::kPrefix, R::kReporting, "mm/kmsan/instrumentation.c"},  // __msan_warning
    {"kcsan_", M::kPrefix, R::kReporting, "kernel/kcsan/"},
    {"tsan_", M::kPrefix, R::kReporting, "kernel/kcsan/core.c"},  // __tsan_read4
    {"kfence_", M::kPrefix, R::kReporting, "mm/kfence/"},
    {"ubsan_", M::kPrefix, R::kReporting, "lib/ubsan.c"},  // __ubsan_handle_shift_out_of_bounds
    {"handle_overflow", M::kPrefix, R::kReporting, "lib/ubsan.c"},
    {"handle_null_ptr_deref", M::kPrefix, R::kReporting, "lib/ubsan.c"},
    {"handle_misaligned_access", M::kPrefix, R::kReporting, "lib/ubsan.c"},
    {"handle_object_size_mismatch", M::kPrefix, R::kReporting, "lib/ubsan.c"},
    {"sanitizer_", M::kPrefix, R::kReporting, "kernel/kcov.c"},  // __sanitizer_cov_trace_pc
    {"kcov_", M::kPrefix, R::kReporting, "kernel/kcov.c"},
    {"write_comp_data", M::kPrefix, R::kReporting, "kernel/kcov.c"},
    {"check_kcov_mode", M::kPrefix, R::kReporting, "kernel/kcov.c"},
    {"read_word_at_a_time", M::kPrefix, R::kReporting, "include/linux/compiler.h"},
    // --- Slab debugging, debug objects, refcount and list checks, usercopy, fortify ----------
    {"print_trailer", M::kPrefix, R::kReporting, "mm/slub.c"},
    {"slab_err", M::kPrefix, R::kReporting, "mm/slub.c"},
    {"object_err", M::kPrefix, R::kReporting, "mm/slub.c"},
    {"check_bytes_and_report", M::kPrefix, R::kReporting, "mm/slub.c"},
    {"debug_object", M::kPrefix, R::kReporting, "lib/debugobjects.c"},  // debug_object_free
    {"debug_print_object", M::kPrefix, R::kReporting, "lib/debugobjects.c"},
    {"debug_check_no_", M::kPrefix, R::kReporting, "lib/debugobjects.c, kernel/locking/lockdep.c"},
    {"_is_static_object", M::kSubstring, R::kReporting, "kernel/time/timer.c, kernel/workqueue.c"},
    {"refcount_", M::kPrefix, R::kReporting, "lib/refcount.c, include/linux/refcount.h"},
    {"list_add_valid", M::kPrefix, R::kReporting, "lib/list_debug.c"},  // __list_add_valid
    {"list_del_entry_valid", M::kPrefix, R::kReporting, "lib/list_debug.c"},
    {"list_del_entry", M::kPrefix, R::kPrimitive, "include/linux/list.h"},
    {"check_preemption_disabled", M::kPrefix, R::kReporting, "lib/smp_processor_id.c"},
    {"debug_smp_processor_id", M::kPrefix, R::kReporting, "lib/smp_processor_id.c"},
    {"this_cpu_preempt_check", M::kPrefix, R::kReporting, "lib/smp_processor_id.c"},
    {"might_sleep", M::kPrefix, R::kReporting, "kernel/sched/core.c"},  // __might_sleep
    {"might_resched", M::kPrefix, R::kReporting, "kernel/sched/core.c"},
    {"might_fault", M::kPrefix, R::kReporting, "mm/memory.c"},  // __might_fault
    {"usercopy_", M::kPrefix, R::kReporting, "mm/usercopy.c"},  // usercopy_abort
    {"check_object_size", M::kPrefix, R::kReporting, "mm/usercopy.c"},
    {"check_heap_object", M::kPrefix, R::kReporting, "mm/usercopy.c"},
    {"check_stack_object", M::kPrefix, R::kReporting, "mm/usercopy.c"},
    {"fortify_", M::kPrefix, R::kReporting, "lib/string_helpers.c"},  // fortify_panic
    {"ref_tracker", M::kPrefix, R::kReporting, "lib/ref_tracker.c"},
    {"assertfail", M::kSubstring, R::kReporting, "fs/btrfs/messages.c"},  // btrfs_assertfail
    {"perf_trace_", M::kPrefix, R::kReporting, "include/trace/perf.h"},
    {"trace_hardirqs_", M::kPrefix, R::kReporting, "kernel/trace/trace_preemptirq.c"},
    // --- Lockdep -------------------------------------------------------------------------------
    {"lockdep_", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lock_acquire", M::kPrefix, R::kReporting,
     "kernel/locking/lockdep.c"},  // lock_acquire, __lock_acquire
    {"lock_release", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lock_acquired", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lock_contended", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lock_is_held", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lock_class", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"look_up_lock_class", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"register_lock_class", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"mark_lock", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"mark_held_locks", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"mark_usage", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"reacquire_held_locks", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"validate_chain", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"check_noncircular", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"check_prev_add", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},  // check_prevs_add
    {"check_irq_usage", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"check_deadlock", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_circular", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_usage_bug", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_bad_irq", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_deadlock_bug", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_lock", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_held_locks", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"print_unlock_imbalance", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"lookup_chain_cache", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    {"valid_state", M::kPrefix, R::kReporting, "kernel/locking/lockdep.c"},
    // --- Locks (kernel/locking/, include/linux/spinlock*.h) -----------------------------------
    {"raw_spin_", M::kPrefix, R::kPrimitive,
     "kernel/locking/spinlock.c"},  // _raw_spin_lock_irqsave
    // _raw_read_lock (kernel/locking/spinlock.c) and the MMIO accessors __raw_readl,
    // __raw_writeb (arch/*/include/asm/io.h): the caller chose the lock or the address.
    {"raw_read", M::kPrefix, R::kPrimitive, "kernel/locking/spinlock.c, arch/*/include/asm/io.h"},
    {"raw_write", M::kPrefix, R::kPrimitive, "kernel/locking/spinlock.c, arch/*/include/asm/io.h"},
    {"logic_in", M::kPrefix, R::kPrimitive, "lib/logic_pio.c"},  // logic_inb: port I/O accessors
    {"logic_out", M::kPrefix, R::kPrimitive, "lib/logic_pio.c"},
    {"do_raw_", M::kPrefix, R::kPrimitive, "kernel/locking/spinlock_debug.c"},
    {"spin_lock", M::kPrefix, R::kPrimitive, "include/linux/spinlock.h"},
    {"spin_unlock", M::kPrefix, R::kPrimitive, "include/linux/spinlock.h"},
    {"spin_trylock", M::kPrefix, R::kPrimitive, "include/linux/spinlock.h"},
    {"read_lock", M::kPrefix, R::kPrimitive, "include/linux/rwlock.h"},
    {"read_unlock", M::kPrefix, R::kPrimitive, "include/linux/rwlock.h"},
    {"write_lock", M::kPrefix, R::kPrimitive, "include/linux/rwlock.h"},
    {"write_unlock", M::kPrefix, R::kPrimitive, "include/linux/rwlock.h"},
    {"queued_spin_", M::kPrefix, R::kPrimitive, "kernel/locking/qspinlock.c"},
    {"queued_read_", M::kPrefix, R::kPrimitive, "kernel/locking/qrwlock.c"},
    {"queued_write_", M::kPrefix, R::kPrimitive, "kernel/locking/qrwlock.c"},
    {"arch_spin_", M::kPrefix, R::kPrimitive, "arch/*/include/asm/spinlock.h"},
    {"native_queued_spin", M::kPrefix, R::kPrimitive, "kernel/locking/qspinlock.c"},
    {"pv_queued_spin", M::kPrefix, R::kPrimitive, "kernel/locking/qspinlock_paravirt.h"},
    {"mutex_lock", M::kPrefix, R::kPrimitive, "kernel/locking/mutex.c"},  // __mutex_lock_common
    {"mutex_unlock", M::kPrefix, R::kPrimitive, "kernel/locking/mutex.c"},
    {"mutex_trylock", M::kPrefix, R::kPrimitive, "kernel/locking/mutex.c"},
    {"mutex_optimistic_spin", M::kPrefix, R::kPrimitive, "kernel/locking/mutex.c"},
    {"mutex_spin_on_owner", M::kPrefix, R::kPrimitive, "kernel/locking/mutex.c"},
    {"ww_mutex_", M::kPrefix, R::kPrimitive, "kernel/locking/ww_mutex.h"},
    {"rt_mutex", M::kPrefix, R::kPrimitive, "kernel/locking/rtmutex.c"},
    {"osq_lock", M::kPrefix, R::kPrimitive, "kernel/locking/osq_lock.c"},
    {"down", M::kExact, R::kPrimitive, "kernel/locking/semaphore.c"},
    {"down_", M::kPrefix, R::kPrimitive, "kernel/locking/rwsem.c, semaphore.c"},  // down_read
    {"up", M::kExact, R::kPrimitive, "kernel/locking/semaphore.c"},
    {"up_read", M::kPrefix, R::kPrimitive, "kernel/locking/rwsem.c"},
    {"up_write", M::kPrefix, R::kPrimitive, "kernel/locking/rwsem.c"},
    // rwsem_down_write_slowpath (kernel/locking/rwsem.c), call_rwsem_down_read_failed
    // (arch/x86/lib/rwsem.S before 4.20)
    {"rwsem_", M::kSubstring, R::kPrimitive, "kernel/locking/rwsem.c, arch/x86/lib/rwsem.S"},
    {"percpu_down_", M::kPrefix, R::kPrimitive, "kernel/locking/percpu-rwsem.c"},
    {"percpu_up_", M::kPrefix, R::kPrimitive, "kernel/locking/percpu-rwsem.c"},
    {"atomic_dec_and_", M::kPrefix, R::kPrimitive, "lib/dec_and_lock.c"},
    {"local_bh_enable", M::kPrefix, R::kPrimitive, "kernel/softirq.c"},  // __local_bh_enable_ip
    // --- Completions and wake-ups (kernel/sched/completion.c, wait.c) ------------------------
    {"wait_for_completion", M::kPrefix, R::kPrimitive, "kernel/sched/completion.c"},
    {"finish_wait", M::kPrefix, R::kPrimitive, "kernel/sched/wait.c"},
    // __wake_up, __wake_up_common_lock, __wake_up_sync_key; not wake_up_new_task or
    // wake_up_process (kernel/sched/core.c), which are the scheduler itself.
    {"wake_up", M::kExact, R::kPrimitive, "kernel/sched/wait.c"},
    {"wake_up_common", M::kPrefix, R::kPrimitive, "kernel/sched/wait.c"},
    {"wake_up_sync", M::kPrefix, R::kPrimitive, "kernel/sched/wait.c"},
    {"wake_up_locked", M::kPrefix, R::kPrimitive, "kernel/sched/wait.c"},
    // --- Library primitives: lib/string.c, arch/*/lib/mem*.S, lib/vsprintf.c -----------------
    {"memcpy", M::kPrefix, R::kPrimitive, "lib/string.c, arch/x86/lib/memcpy_64.S"},
    {"memmove", M::kPrefix, R::kPrimitive, "lib/string.c, arch/x86/lib/memmove_64.S"},
    {"memset", M::kPrefix, R::kPrimitive, "lib/string.c, arch/x86/lib/memset_64.S"},
    {"memcmp", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"memchr", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"memdup", M::kPrefix, R::kPrimitive, "mm/util.c"},  // memdup_user
    {"strcmp", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strncmp", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strlen", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strnlen", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strcpy", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strncpy", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strlcpy", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strscpy", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strchr", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"strnstr", M::kPrefix, R::kPrimitive, "lib/string.c"},
    {"string", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},  // string(), string_nocheck()
    {"vsnprintf", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"vscnprintf", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"sprintf", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"snprintf", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"scnprintf", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"format_decode", M::kPrefix, R::kPrimitive, "lib/vsprintf.c"},
    {"indirect_thunk", M::kSubstring, R::kPrimitive, "arch/x86/lib/retpoline.S"},
    {"rb_", M::kPrefix, R::kPrimitive, "lib/rbtree.c"},  // rb_insert_color, __rb_erase_color
    {"xas_", M::kPrefix, R::kPrimitive, "lib/xarray.c"},
    {"klist_", M::kPrefix, R::kPrimitive, "lib/klist.c"},
    {"test_and_", M::kPrefix, R::kPrimitive, "include/asm-generic/bitops/"},
    {"set_bit", M::kPrefix, R::kPrimitive, "include/asm-generic/bitops/"},
    {"clear_bit", M::kPrefix, R::kPrimitive, "include/asm-generic/bitops/"},
    // --- User copies (include/linux/uaccess.h, lib/usercopy.c, lib/iov_iter.c) ----------------
    // _copy_to_user and the per-subsystem wrappers named after it (bpf_prog_array_copy_to_user)
    {"copy_to_user", M::kSubstring, R::kPrimitive, "lib/usercopy.c, include/linux/uaccess.h"},
    {"copy_from_user", M::kSubstring, R::kPrimitive, "lib/usercopy.c, include/linux/uaccess.h"},
    {"copy_page_to_iter", M::kPrefix, R::kPrimitive, "lib/iov_iter.c"},
    // --- Allocator and timer/workqueue entry points (mm/slub.c, mm/slab_common.c, ...) -------
    {"kmalloc", M::kPrefix, R::kPrimitive, "mm/slab_common.c, include/linux/slab.h"},
    {"kmem_cache_alloc", M::kPrefix, R::kPrimitive, "mm/slub.c"},
    {"kfree", M::kPrefix, R::kPrimitive, "mm/slub.c"},
    {"kvfree", M::kPrefix, R::kPrimitive, "mm/util.c"},
    {"kvmalloc", M::kPrefix, R::kPrimitive, "mm/util.c"},  // kvmalloc_node
    {"kvzalloc", M::kPrefix, R::kPrimitive, "include/linux/slab.h"},
    {"kvcalloc", M::kPrefix, R::kPrimitive, "include/linux/slab.h"},
    {"kvrealloc", M::kPrefix, R::kPrimitive, "mm/util.c"},
    {"krealloc", M::kPrefix, R::kPrimitive, "mm/slab_common.c"},
    {"kzalloc", M::kPrefix, R::kPrimitive, "include/linux/slab.h"},
    {"kcalloc", M::kPrefix, R::kPrimitive, "include/linux/slab.h"},
    {"alloc_pages", M::kPrefix, R::kPrimitive, "mm/page_alloc.c"},    // __alloc_pages_noprof
    {"mod_timer", M::kPrefix, R::kPrimitive, "kernel/time/timer.c"},  // __mod_timer
    {"del_timer", M::kPrefix, R::kPrimitive, "kernel/time/timer.c"},
    {"lock_timer_base", M::kPrefix, R::kPrimitive, "kernel/time/timer.c"},
    {"queue_work", M::kPrefix, R::kPrimitive, "kernel/workqueue.c"},  // __queue_work
    {"insert_work", M::kPrefix, R::kPrimitive, "kernel/workqueue.c"},
    {"flush_work", M::kPrefix, R::kPrimitive, "kernel/workqueue.c"},  // flush_workqueue too
    {"cancel_work", M::kPrefix, R::kPrimitive, "kernel/workqueue.c"},
    {"try_to_grab_pending", M::kPrefix, R::kPrimitive, "kernel/workqueue.c"},
    {"kthread_stop", M::kPrefix, R::kPrimitive, "kernel/kthread.c"},
    {"folio_unlock", M::kPrefix, R::kPrimitive, "mm/filemap.c"},
    {"unlock_page", M::kPrefix, R::kPrimitive, "mm/filemap.c"},
    {"new_sync_read", M::kPrefix, R::kPrimitive, "fs/read_write.c"},
    {"new_sync_write", M::kPrefix, R::kPrimitive, "fs/read_write.c"},
    {"skb_put", M::kPrefix, R::kPrimitive, "net/core/skbuff.c"},   // skb_over_panic's caller
    {"skb_push", M::kPrefix, R::kPrimitive, "net/core/skbuff.c"},  // skb_under_panic's caller
    // --- Device-model and subsystem APIs that check their caller's arguments and WARN --------
    {"kobject_", M::kPrefix, R::kPrimitive, "lib/kobject.c, lib/kobject_uevent.c"},
    {"uevent", M::kSubstring, R::kPrimitive, "lib/kobject_uevent.c, drivers/base/core.c"},
    {"device_add", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"device_del", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"device_unregister", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"device_destroy", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"device_release", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"device_for_each_child", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"get_device_parent", M::kPrefix, R::kPrimitive, "drivers/base/core.c"},
    {"devres_", M::kPrefix, R::kPrimitive, "drivers/base/devres.c"},
    // sysfs_remove_group (fs/sysfs/group.c) and the wrappers named after it (dpm_sysfs_remove)
    {"sysfs_remove", M::kSubstring, R::kPrimitive, "fs/sysfs/, drivers/base/power/sysfs.c"},
    {"unregister_netdevice", M::kPrefix, R::kPrimitive, "net/core/dev.c"},
    {"rollback_registered", M::kPrefix, R::kPrimitive, "net/core/dev.c"},
    {"usb_submit_urb", M::kPrefix, R::kPrimitive, "drivers/usb/core/urb.c"},
    {"usb_kill_urb", M::kPrefix, R::kPrimitive, "drivers/usb/core/urb.c"},
    // --- VFS helpers that WARN about the object their caller hands them ----------------------
    {"drop_nlink", M::kExact, R::kPrimitive, "fs/inode.c"},  // WARN_ON(inode->i_nlink == 0)
    {"inc_nlink", M::kExact, R::kPrimitive, "fs/inode.c"},   // WARN_ON(!(i_state & I_LINKABLE))
    {"clear_nlink", M::kExact, R::kPrimitive, "fs/inode.c"},
    {"set_nlink", M::kExact, R::kPrimitive, "fs/inode.c"},
    {"iput", M::kExact, R::kPrimitive, "fs/inode.c"},
    {"dput", M::kExact, R::kPrimitive, "fs/dcache.c"},
    {"fast_dput", M::kExact, R::kPrimitive, "fs/dcache.c"},
    {"mark_buffer_dirty", M::kExact, R::kPrimitive, "fs/buffer.c"},  // WARN_ON(!uptodate)
    // --- Scheduler, sleeps and waits: where a blocked task waits (hung-task rule only) -------
    {"schedule", M::kPrefix, R::kWait,
     "kernel/sched/core.c, kernel/time/timer.c"},  // __schedule, schedule_timeout
    {"io_schedule", M::kPrefix, R::kWait, "kernel/sched/core.c"},
    {"preempt_schedule", M::kPrefix, R::kWait, "kernel/sched/core.c"},
    {"context_switch", M::kPrefix, R::kWait, "kernel/sched/core.c"},
    {"finish_task_switch", M::kPrefix, R::kWait, "kernel/sched/core.c"},
    {"switch_to", M::kPrefix, R::kWait, "arch/x86/kernel/process_64.c"},  // __switch_to_asm
    {"sched", M::kSubstring, R::kWait, "kernel/sched/"},
    {"wait", M::kSubstring, R::kWait, "kernel/sched/wait.c, wait_bit.c and their wrappers"},
    {"completion", M::kSubstring, R::kWait, "kernel/sched/completion.c"},
    {"synchronize", M::kSubstring, R::kWait, "kernel/rcu/tree.c, srcutree.c"},
    {"rcu_barrier", M::kPrefix, R::kWait, "kernel/rcu/tree.c"},
    {"msleep", M::kPrefix, R::kWait, "kernel/time/sleep_timeout.c"},
    {"usleep_range", M::kPrefix, R::kWait, "kernel/time/sleep_timeout.c"},
    {"kthread", M::kPrefix, R::kWait, "kernel/kthread.c"},
    {"_lock", M::kSubstring, R::kWait, "sleeping locks and their wrappers (lock_sock, folio_lock)"},
    {"_slowlock", M::kSubstring, R::kWait, "kernel/locking/rtmutex.c"},
    {"mempool_alloc", M::kPrefix, R::kWait, "mm/mempool.c"},
    {"cancel_delayed_work", M::kPrefix, R::kWait, "kernel/workqueue.c"},
};

bool matches(const FrameRule& rule, std::string_view name, std::string_view bare) {
  switch (rule.match) {
    case M::kPrefix:
      return bare.starts_with(rule.pattern);
    case M::kExact:
      return bare == rule.pattern;
    case M::kSubstring:
      return name.find(rule.pattern) != std::string_view::npos;
  }
  return false;
}

}  // namespace

std::span<const FrameRule> frame_rules() { return kRules; }

const FrameRule* matching_frame_rule(std::string_view function) {
  std::string_view name = function_base(function);
  std::string_view bare = name.substr(std::min(name.find_first_not_of('_'), name.size()));
  for (const FrameRule& rule : kRules) {
    if (matches(rule, name, bare)) return &rule;
  }
  return nullptr;
}

std::optional<FrameRole> frame_role(std::string_view function) {
  const FrameRule* rule = matching_frame_rule(function);
  if (!rule) return std::nullopt;
  return rule->role;
}

}  // namespace wedge::console
