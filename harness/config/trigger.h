// Trigger expressions for faults that start on a guest condition rather than at a time:
// `when = "swap_used_mib > 100 and pswpout >= 5000"`. Pure: parse text into a small AST
// once (at scenario load, so a typo is a load error), evaluate it against numbers the run fills.
//
//   WEDGE_TRY(config::Trigger t, config::parse_trigger("swap_used_mib > 100 or elapsed_s > 60"));
//   config::GuestNumbers n{.elapsed_s = 12, .swap_used_mib = 140};
//   config::evaluate(t, n);  // true
//   // parse_trigger("swap > 1") fails with "column 1: unknown name 'swap' (known: elapsed_s, ...)"
//
// Grammar: COMPARISON (("and" | "or") COMPARISON)*, COMPARISON = NAME OP NUMBER, OP one of
// > >= < <= ==. "and" binds tighter than "or"; there are no parentheses, so every expression
// is an "or" of "and" groups, which is exactly the AST.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::config {

// What a trigger can look at. The run fills what it knows; an unknown value (nullopt, e.g.
// before the first agent sample) makes every comparison on it false. From an agent sample:
//   swap_used_mib = (swap_total_kb - swap_free_kb) / 1024   memfree_mib = mem_free_kb / 1024
//   dirty_mib = dirty_kb / 1024   writeback_mib = writeback_kb / 1024   pswpout = pswpout (pages)
//   workload_mib = what the workload reported touching so far
//   elapsed_s = seconds since the workload started (Schedule::step sets it from now_s)
struct GuestNumbers {
  std::optional<double> elapsed_s = std::nullopt;
  std::optional<double> swap_used_mib = std::nullopt;
  std::optional<double> memfree_mib = std::nullopt;
  std::optional<double> dirty_mib = std::nullopt;
  std::optional<double> writeback_mib = std::nullopt;
  std::optional<double> pswpout = std::nullopt;
  std::optional<double> workload_mib = std::nullopt;
};

enum class Metric {
  kElapsedS,
  kSwapUsedMib,
  kMemfreeMib,
  kDirtyMib,
  kWritebackMib,
  kPswpout,
  kWorkloadMib
};
enum class CompareOp { kGreater, kGreaterEqual, kLess, kLessEqual, kEqual };

struct Comparison {
  Metric metric = Metric::kElapsedS;
  CompareOp op = CompareOp::kGreater;
  double value = 0;
};

// True when any group has all of its comparisons true.
struct Trigger {
  std::vector<std::vector<Comparison>> any_of;
};

// Parses an expression; errors start with "column N: " (1-based) and say what was expected.
[[nodiscard]] Result<Trigger> parse_trigger(std::string_view text);

[[nodiscard]] bool evaluate(const Trigger& trigger, const GuestNumbers& numbers);

// Canonical text ("swap_used_mib > 100 and pswpout >= 5000"); parse_trigger reads it back.
[[nodiscard]] std::string to_string(const Trigger& trigger);

// The spelling of a metric in expressions ("swap_used_mib").
[[nodiscard]] const char* metric_name(Metric metric);

}  // namespace wedge::config
