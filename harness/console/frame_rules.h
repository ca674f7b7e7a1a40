// The frame table blame.h reads: which kernel functions print or raise a report, which are
// primitives every path goes through, and which are where a blocked task waits. Each entry is
// written from where the kernel defines the function (the entry names the file) and matches a
// name family (a prefix, leading underscores aside), not one function seen in one log.
//
//   frame_role("__kasan_check_read") == FrameRole::kReporting   // mm/kasan/
//   frame_role("_raw_spin_lock_irqsave") == FrameRole::kPrimitive  // kernel/locking/spinlock.c
//   frame_role("io_schedule") == FrameRole::kWait                 // kernel/sched/core.c
//   frame_role("tcf_exts_destroy") == std::nullopt
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace wedge::console {

enum class FrameRole {
  kReporting,  // prints, checks or raises the report itself: never the bug's place
  kPrimitive,  // a helper every path calls (locks, mem*/str*, allocators, lists, API argument
               // checks that warn for their caller): the caller is to blame
  kWait,       // scheduler, wait and sleep primitives: where a blocked task waits, not why;
               // blamed past only for hung tasks
};

enum class NameMatch {
  kPrefix,     // the name, leading underscores dropped, starts with the pattern
  kExact,      // the name, leading underscores dropped, is the pattern
  kSubstring,  // the pattern occurs anywhere in the name
};

struct FrameRule {
  std::string_view pattern;
  NameMatch match;
  FrameRole role;
  std::string_view source;  // where the kernel defines the family ("kernel/printk/")
};

// The whole table, for tests and documentation.
[[nodiscard]] std::span<const FrameRule> frame_rules();

// The role of a function (compiler suffixes such as ".isra.0" dropped first), or nullopt when
// it is ordinary code a report may blame.
[[nodiscard]] std::optional<FrameRole> frame_role(std::string_view function);

// The rule that decides function's role, or nullptr: which entry (and source file) applied.
[[nodiscard]] const FrameRule* matching_frame_rule(std::string_view function);

}  // namespace wedge::console
