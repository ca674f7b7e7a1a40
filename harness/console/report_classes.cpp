// The report table and its matcher. Every line first goes through one RE2::Set of all patterns
// (one linear pass whatever the line holds), then only the winning pattern runs again for its
// groups. Patterns are anchored at the message start wherever kernels allow it, so that text
// quoting a kernel message (a userspace trap line, a log line about a log line) is no report.
#include "harness/console/report_classes.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <memory>

namespace wedge::console {

namespace {

using K = EventKind;
using F = FrameSource;
using R = BlameRule;

// Optional lead-ins kernels put before a header: a space, "[ " (lockdep's old brackets).
#define LEAD "^\\s*(?:\\[ )?"
// Both WARNING formats: "WARNING: CPU: 1 PID: 2 at fs/x.c:12 func+0x1/0x2" and the one-line
// "WARNING: fs/x.c:12 at func+0x1/0x2, CPU#1: comm/2". $1 is the file, $2 the function.
#define WARNING_IN(file) "^WARNING: (?:CPU: \\d+ PID: \\d+ at )?(" file "):\\d+ (?:at )?([\\w.]+)"
#define WARNING_AT WARNING_IN("\\S+")

const std::vector<std::string_view> kOdebugSkip = {
    "debug_", "rcu",   "hrtimer_", "timer_", "work_",   "percpu_", "kmem_",
    "slab_",  "kfree", "vunmap",   "vfree",  "__free_", "kobject_"};
const std::vector<std::string_view> kAllocSkip = {"alloc_pages", "alloc_frozen_pages", "kmalloc",
                                                  "kvmalloc",    "kmem_cache",         "vmalloc"};
const std::vector<std::string_view> kLeakSkip = {
    "kmemleak",  "kmalloc",    "kcalloc",     "kzalloc",       "vmalloc", "mmap",
    "kmem",      "slab",       "alloc",       "create_object", "idr_get", "list_lru_init",
    "kasprintf", "kvasprintf", "pcpu_create", "strdup",        "strndup", "memdup"};

std::vector<ReportClass> make_classes() {
  return {
      // Hangs.
      {K::kHungTask, "^INFO: task (.+):(\\d+) blocked for more than (\\d+) seconds",
       "INFO: task hung", F::kStack, R::kHungTask},
      {K::kHungTask, "^INFO: task (.+):(\\d+) blocked in I/O wait for more than (\\d+) seconds",
       "INFO: task hung", F::kStack, R::kHungTask},
      {K::kHungTask, "^INFO: task (.+):(\\d+) can't die for more than (\\d+) seconds",
       "INFO: task can't die", F::kStack, R::kHungTask},
      {K::kRcuStall,
       "^(?:rcu: )?INFO: rcu_\\w+ (?:self-)?detected (?:expedited )?stalls?",
       "INFO: rcu detected stall",
       F::kStack,
       R::kStall,
       {"rcu", "apic_timer_interrupt", "sysvec_", "irq_exit", "schedule_timeout"},
       0,
       true},
      {K::kSoftLockup,
       "^(?:NMI )?(?:watchdog: )?BUG: soft lockup - CPU#(\\d+) stuck for (\\d+)s! "
       "\\[(.*):(\\d+)\\]",
       "BUG: soft lockup", F::kStack, R::kStall},
      {K::kHardLockup, "Watchdog detected hard LOCKUP on cpu (\\d+)", "watchdog: hard LOCKUP",
       F::kStack, R::kStall},
      {K::kWorkqueueLockup, "^BUG: workqueue lockup", "BUG: workqueue lockup"},
      // Sanitizers.
      {K::kKasan,
       LEAD "BUG: KASAN: double-free(?: or invalid-free)? in (\\S+)",
       "KASAN: invalid-free",
       F::kHeader,
       R::kStack,
       {"kfree", "kmem_", "slab_", "vfree", "vunmap", "kvfree"},
       1},
      {K::kKasan,
       LEAD "BUG: KASAN: ([a-z-]+) in (\\S+)",
       "KASAN: $1",
       F::kHeader,
       R::kStack,
       {},
       2,
       false,
       false,
       true},
      {K::kKasan,
       LEAD "BUG: KASAN: ([a-z-]+)",
       "KASAN: $1",
       F::kNone,
       R::kStack,
       {},
       0,
       false,
       false,
       true},
      {K::kSanitizer,
       LEAD "BUG: KMSAN: ([a-z-]+)",
       "KMSAN: $1",
       F::kStack,
       R::kStack,
       {"copy_to_user", "copy_to_iter", "copyout", "_copy_", "instrument_", "copy_mc"}},
      {K::kSanitizer,
       LEAD "BUG: KCSAN: (.+?) in (\\S+)",
       "KCSAN: $1",
       F::kHeader,
       R::kStack,
       {},
       2},
      {K::kSanitizer,
       LEAD "BUG: KFENCE: (.+?) in (\\S+)",
       "KFENCE: $1",
       F::kHeader,
       R::kStack,
       {},
       2},
      {K::kSanitizer,
       LEAD "UBSAN: Undefined behaviour in",
       "UBSAN: undefined-behaviour",
       F::kStack,
       R::kStack,
       {"ubsan", "handle_overflow", "handle_shift", "handle_out_of_bounds"}},
      {K::kSanitizer,
       LEAD "UBSAN: ([a-z-]+) in",
       "UBSAN: $1",
       F::kStack,
       R::kStack,
       {"ubsan", "handle_overflow", "handle_shift", "handle_out_of_bounds"}},
      // Faults.
      {K::kGpf, "^(?:Oops: )?(?:segment-related )?general protection fault",
       "general protection fault", F::kStack},
      {K::kOops,
       "^(?:BUG: unable to handle kernel|BUG: kernel|Unable to handle kernel) NULL pointer "
       "dereference",
       "BUG: unable to handle kernel NULL pointer dereference", F::kStack},
      {K::kOops,
       "^(?:BUG: unable to handle kernel paging request|BUG: unable to handle page fault for "
       "address|Unable to handle kernel paging request)",
       "BUG: unable to handle kernel paging request", F::kStack},
      {K::kOops, "^BUG: (?:unable|Unable) to handle kernel", "BUG: unable to handle kernel",
       F::kStack},
      {K::kOops, "^Internal error: ", "Internal error", F::kStack},
      {K::kOops, "^Unhandled fault: ", "Unhandled fault", F::kStack},
      {K::kOops, "^Alignment trap: ", "Alignment trap", F::kStack},
      {K::kOops, "^divide(?: |_)error: ", "divide error", F::kStack},
      {K::kOops, "^PANIC: double fault", "PANIC: double fault", F::kStack},
      {K::kOops, "^BUG: (?:TASK )?stack guard page was hit at", "BUG: stack guard page was hit",
       F::kStack},
      {K::kBug,
       "^kernel BUG at mm/usercopy\\.c",
       "BUG: bad usercopy",
       F::kStack,
       R::kStack,
       {"usercopy", "__check"}},
      {K::kBug,
       "^kernel BUG at lib/list_debug\\.c",
       "BUG: corrupted list",
       F::kStack,
       R::kStack,
       {"list_del", "list_add"}},
      {K::kBug, "^(?:kernel|Kernel) BUG at ([^!\\s]+)", "kernel BUG", F::kStack},
      // Lockdep.
      {K::kLockdep, LEAD "(?:WARNING|INFO): possible circular locking dependency detected",
       "possible deadlock", F::kLockAt},
      {K::kLockdep, LEAD "(?:WARNING|INFO): possible recursive locking detected",
       "possible deadlock", F::kLockAt},
      {K::kLockdep,
       LEAD "(?:WARNING|INFO): (?:HARD|SOFT)IRQ-safe -> (?:HARD|SOFT)IRQ-unsafe lock order",
       "possible deadlock", F::kLockAt},
      {K::kLockdep, LEAD "(?:WARNING|INFO): possible irq lock inversion dependency",
       "possible deadlock", F::kLockAt},
      {K::kLockdep, LEAD "(?:WARNING|INFO): inconsistent lock state", "inconsistent lock state",
       F::kLockAt},
      {K::kLockdep, LEAD "(WARNING|BUG): bad unlock balance detected", "$1: bad unlock balance",
       F::kLockAt},
      {K::kLockdep, LEAD "(WARNING|BUG): held lock freed", "$1: held lock freed", F::kLockAt},
      {K::kLockdep, LEAD "(WARNING|BUG): \\S+ still has locks held", "$1: still has locks held",
       F::kLockAt},
      {K::kLockdep, LEAD "(WARNING|BUG): lock held when returning to user space",
       "$1: lock held when returning to user space", F::kLockAt},
      {K::kLockdep, LEAD "(?:WARNING|BUG): Invalid wait context", "WARNING: locking bug",
       F::kLockAt},
      {K::kLockdep,
       LEAD "(WARNING|INFO): suspicious RCU usage",
       "$1: suspicious RCU usage",
       F::kStack,
       R::kStack,
       {"rcu", "lockdep", "kmem", "slab", "kmalloc", "vmalloc", "kcalloc", "kzalloc"}},
      {K::kLockdep,
       "^INFO: trying to register non-static key",
       "INFO: trying to register non-static key",
       F::kStack,
       R::kStack,
       {"stack", "lock", "IRQ"}},
      {K::kLockdep, "^BUG: MAX_STACK_TRACE_ENTRIES too low",
       "BUG: MAX_STACK_TRACE_ENTRIES too low!"},
      // Warnings, by the file that warned.
      {K::kWarning, WARNING_IN("\\S*lib/debugobjects\\.c"), "WARNING: ODEBUG bug", F::kHeader,
       R::kStack, kOdebugSkip, 2},
      {K::kWarning,
       WARNING_IN("\\S*lib/refcount\\.c"),
       "WARNING: refcount bug",
       F::kHeader,
       R::kStack,
       {"refcount", "kobject_"},
       2},
      {K::kWarning,
       WARNING_IN("\\S*lib/kobject\\.c"),
       "WARNING: kobject bug",
       F::kHeader,
       R::kStack,
       {"kobject_"},
       2},
      {K::kWarning,
       WARNING_IN("\\S*kernel/locking/lockdep\\.c"),
       "WARNING: locking bug",
       F::kHeader,
       R::kStack,
       {"lock_sock", "release_sock"},
       2},
      {K::kWarning,
       WARNING_IN("\\S*mm/usercopy\\.c"),
       "WARNING: bad usercopy",
       F::kHeader,
       R::kStack,
       {"usercopy", "__check"},
       2},
      {K::kWarning,
       "^WARNING: (?:CPU: \\d+ PID: \\d+ at )?(\\S*mm/\\S+):\\d+ (?:at "
       ")?(k\\w?malloc\\w*|__kmalloc\\w*)",
       "WARNING: kmalloc bug", F::kHeader, R::kStack, kAllocSkip, 2},
      {K::kWarning, "^ODEBUG: .*object type: ", "WARNING: ODEBUG bug", F::kStack, R::kStack,
       kOdebugSkip, 0, false, true},
      {K::kWarning,
       "^refcount_t: ",
       "WARNING: refcount bug",
       F::kStack,
       R::kStack,
       {"refcount", "kobject_"},
       0,
       false,
       true},
      {K::kWarning, "^WARNING: kernel stack regs at \\S+ in \\S+ has bad '(\\w+)' value",
       "WARNING: kernel stack regs has bad '$1' value"},
      {K::kWarning, "^WARNING: kernel stack frame pointer at \\S+ in \\S+ has bad value",
       "WARNING: kernel stack frame pointer has bad value"},
      {K::kWarning, WARNING_AT, "WARNING", F::kHeader, R::kStack, kAllocSkip, 2},
      // Atomic-context and other kernel BUGs.
      {K::kAtomicContext,
       "^BUG: sleeping function called from invalid context",
       "BUG: sleeping function called from invalid context",
       F::kStack,
       R::kStack,
       {"might_sleep", "might_fault", "might_resched", "__might", "kmem_cache_alloc", "kmalloc",
        "slab_"}},
      {K::kAtomicContext,
       "^BUG: scheduling while atomic",
       "BUG: scheduling while atomic",
       F::kStack,
       R::kStack,
       {"schedule", "__schedule_bug"}},
      {K::kAtomicContext,
       "^BUG: using (__this_cpu_\\w+\\(\\)|smp_processor_id\\(\\)) in preemptible",
       "BUG: using $1 in preemptible code",
       F::kStack,
       R::kStack,
       {"preempt"}},
      {K::kAtomicContext, "^BUG: workqueue leaked lock or atomic",
       "BUG: workqueue leaked lock or atomic", F::kLastFunction},
      {K::kBug,
       "^BUG: spinlock (lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong "
       "CPU)",
       "BUG: spinlock $1",
       F::kStack,
       R::kStack,
       {"spin_", "rq_lock"}},
      {K::kMemoryLeak, "^(?:\\S+ \\S+ )?BUG: memory leak", "memory leak", F::kStack, R::kStack,
       kLeakSkip},
      {K::kBug,
       "^BUG: Bad page state",
       "BUG: Bad page state",
       F::kStack,
       R::kStack,
       {"bad_page", "free_page", "free_unref", "free_pcp", "__free", "put_page", "release_pages",
        "folio_put", "page_pool", "free_pages_prepare", "free_frozen",
        // the new-page checks of mm/page_alloc.c run here on the allocation side
        "post_alloc_hook", "prep_new_page", "get_page_from_freelist", "check_new_page"}},
      {K::kBug, "^BUG: Bad rss-counter state", "BUG: Bad rss-counter state"},
      {K::kBug, "^BUG \\S+ \\(.*\\): Object already free", "BUG: Object already free"},
      {K::kBug, "^BUG: Dentry .* still in use", "BUG: Dentry still in use"},
      {K::kBug, "^VFS: Busy inodes after unmount",
       "VFS: Busy inodes after unmount (use-after-free)"},
      // Panics: their own verdict only when nothing before them explains them.
      {K::kPanic,
       "^Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: (\\S+)",
       "kernel panic: stack is corrupted",
       F::kHeader,
       R::kStack,
       {"stack_chk"},
       1},
      {K::kPanic,
       "^Kernel panic - not syncing: corrupted stack end detected inside scheduler",
       "kernel panic: corrupted stack end",
       F::kStack,
       R::kStall,
       {"schedule", "retint_kernel"}},
      {K::kPanic, "^Kernel panic - not syncing: (Fatal exception)", "kernel panic: $1"},
      {K::kPanic, "^Kernel panic - not syncing: (Couldn't open N_TTY ldisc)", "kernel panic: $1"},
      {K::kPanic, "^Kernel panic - not syncing: ?(.*)", "kernel panic: $1"},
      // Lines inside other reports; a report of their own only when none is open.
      {K::kOops, "^Oops: ", "Oops", F::kStack, R::kStack, {}, 0, false, false, false, false},
      {K::kOops,
       "^invalid opcode: ",
       "invalid opcode",
       F::kStack,
       R::kStack,
       {},
       0,
       false,
       false,
       false,
       false},
      // Memory pressure and storage.
      {K::kOomKill, "(?:Memory cgroup o|O)ut of memory: Killed process (\\d+) \\(([^)]*)\\)",
       "out of memory: killed $2"},
      {K::kNbdStuckRequest, "block (nbd\\d+): Possible stuck request",
       "nbd: possible stuck request on $1"},
      {K::kIoError, "(?:Buffer )?I/O error,? (?:on )?dev(?:ice)? (\\w+)", "I/O error on $1"},
      {K::kIoError, "EXT4-fs warning \\(device (\\w+)\\): ext4_end_bio:\\d+: I/O error",
       "I/O error on $1"},
      {K::kIoError, "(Read|Write)-error on swap-device", "$1 error on swap device"},
      {K::kNfsNotResponding, "nfs: server (\\S+) not responding", "nfs: server $1 not responding"},
      {K::kIscsiTimeout, "(connection\\d+:\\d+): (ping timeout|detected conn error)",
       "iscsi: $2 on $1"},
      {K::kIscsiTimeout, "(session\\d+): session recovery timed out",
       "iscsi: session recovery timed out on $1"},
      {K::kIscsiTimeout, "iscsi.*(connection timed out)", "iscsi: $1"},
      // Task dumps (sysrq-w, sysrq-t, panic_print).
      {K::kSysrqDump, "sysrq: (Show Blocked State|Show State)", "sysrq: $1"},
      {K::kTaskStack, "^task:(\\S+)\\s+state:(\\S+)", "task $1 ($2)", F::kStack, R::kHungTask},
  };
}

struct CompiledTable {
  std::vector<ReportClass> classes = make_classes();
  std::vector<std::unique_ptr<RE2>> patterns;
  std::unique_ptr<RE2::Set> set;

  CompiledTable() {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    for (const auto& c : classes) {
      patterns.push_back(std::make_unique<RE2>(c.pattern, options));
      std::string error;
      if (!patterns.back()->ok() || set->Add(c.pattern, &error) < 0) {
        std::abort();  // a broken table is a build mistake, caught by every unit test
      }
    }
    if (!set->Compile()) std::abort();
  }
};

const CompiledTable& table() {
  static const CompiledTable compiled;
  return compiled;
}

}  // namespace

const ReportClass* match_report_class(std::string_view message, std::vector<std::string>* groups) {
  const CompiledTable& t = table();
  std::vector<int> hits;
  if (!t.set->Match(message, &hits) || hits.empty()) return nullptr;
  int first = *std::min_element(hits.begin(), hits.end());
  const RE2& re = *t.patterns[static_cast<size_t>(first)];
  int n = std::min(re.NumberOfCapturingGroups(), 9);
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(n) + 1);
  if (!re.Match(message, 0, message.size(), RE2::UNANCHORED, pieces.data(), n + 1)) return nullptr;
  groups->clear();
  for (int i = 1; i <= n; ++i)
    groups->emplace_back(
        pieces[static_cast<size_t>(i)].data() ? std::string(pieces[static_cast<size_t>(i)]) : "");
  return &t.classes[static_cast<size_t>(first)];
}

std::string expand_title(std::string_view title, const std::vector<std::string>& groups) {
  std::string out;
  for (size_t i = 0; i < title.size(); ++i) {
    if (title[i] == '$' && i + 1 < title.size() && title[i + 1] >= '1' && title[i + 1] <= '9') {
      size_t g = static_cast<size_t>(title[i + 1] - '1');
      if (g < groups.size()) out += groups[g];
      ++i;
    } else {
      out.push_back(title[i]);
    }
  }
  return out;
}

}  // namespace wedge::console
