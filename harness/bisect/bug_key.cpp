// Implementation of bug_key.h: distinctive frames, weights and weighted Jaccard similarity.
#include "harness/bisect/bug_key.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "harness/console/blame.h"
#include "harness/console/stack_frame.h"

namespace wedge::bisect {

namespace {

// Substrings of functions that every blocked or running task's stack passes through whatever
// the bug: the scheduler and waiting, thread and workqueue plumbing, entry code.
constexpr std::string_view kGenericParts[] = {
    "schedule",         "__switch_to",     "context_switch",    "wait_for_",
    "_wait_event",      "finish_wait",     "prepare_to_wait",   "kthread",
    "ret_from_fork",    "worker_thread",   "process_one_work",  "smpboot_thread_fn",
    "entry_SYSCALL",    "do_syscall_",     "syscall_exit",      "syscall_enter",
    "asm_sysvec",       "sysvec_",         "irq_exit",          "asm_common_interrupt",
    "common_interrupt", "do_softirq",      "cpu_startup_entry", "do_idle",
    "default_idle",     "start_secondary", "secondary_startup", "rest_init",
    "start_kernel",     "x86_64_start",    "native_safe_halt",  "arch_cpu_idle",
    "cpuidle",
};

// How tasks come to reclaim memory: the workload's page faults and kswapd. They are in the
// stacks of every memory-pressure hang (they are its victims), so they say which tasks were
// reclaiming, not which bug it is. Matched as whole names.
constexpr std::string_view kPressureEntries[] = {
    "kswapd",        "balance_pgdat",   "handle_mm_fault", "__handle_mm_fault", "do_anonymous_page",
    "do_swap_page",  "do_fault",        "do_wp_page",      "wp_page_copy",      "vma_alloc_folio",
    "__folio_alloc", "alloc_pages_vma", "do_page_fault",   "__do_page_fault",
};

bool has_part(std::string_view name, std::span<const std::string_view> parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [&](std::string_view p) { return name.find(p) != std::string_view::npos; });
}

std::set<std::string> distinctive(const std::vector<std::string>& frames) {
  std::set<std::string> out;
  for (const auto& f : frames) {
    std::string base(console::function_base(f));
    if (!base.empty() && !is_generic_frame(base)) out.insert(base);
  }
  return out;
}

}  // namespace

bool is_generic_frame(const std::string& function) {
  std::string_view base = console::function_base(function);
  return console::is_machinery_frame(base) || has_part(base, kGenericParts) ||
         std::find(std::begin(kPressureEntries), std::end(kPressureEntries), base) !=
             std::end(kPressureEntries);
}

BugKey bug_key_of(const reports::Finding& finding, const std::string& signature) {
  BugKey key;
  key.kind = finding.kind;
  key.signature = signature;
  std::vector<std::set<std::string>> stacks;
  for (const auto& group : finding.stacks) stacks.push_back(distinctive(group.frames));
  if (stacks.empty()) stacks.push_back(distinctive(finding.frames));
  std::map<std::string, int> holders;
  for (const auto& s : stacks) {
    for (const auto& f : s) ++holders[f];
  }
  for (const auto& [function, n] : holders) key.weights[function] = 1.0 / n;
  return key;
}

double similarity(const BugKey& a, const BugKey& b) {
  if (a.kind != b.kind) return 0;
  // Titles name the cause (detect/hang_title.h), so one signature is one bug; stacks decide
  // only between different signatures (one bug caught under two titles).
  if (!a.signature.empty() && a.signature == b.signature) return 1;
  if (a.weights.empty() || b.weights.empty()) return a.signature == b.signature ? 1 : 0;
  double common = 0;
  double either = 0;
  for (const auto& [function, wa] : a.weights) {
    auto it = b.weights.find(function);
    double wb = it == b.weights.end() ? 0 : it->second;
    common += std::min(wa, wb);
    either += std::max(wa, wb);
  }
  for (const auto& [function, wb] : b.weights) {
    if (!a.weights.contains(function)) either += wb;
  }
  return either > 0 ? common / either : 0;
}

std::vector<std::string> key_functions(const BugKey& key, size_t at_most) {
  std::vector<std::pair<std::string, double>> all(key.weights.begin(), key.weights.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  std::vector<std::string> out;
  for (size_t i = 0; i < all.size() && i < at_most; ++i) out.push_back(all[i].first);
  return out;
}

std::vector<std::vector<size_t>> group_bugs(const std::vector<BugKey>& keys) {
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return same_bug(keys[g.front()], keys[i]); });
    if (it == groups.end()) {
      groups.push_back({i});
    } else {
      it->push_back(i);
    }
  }
  return groups;
}

}  // namespace wedge::bisect
