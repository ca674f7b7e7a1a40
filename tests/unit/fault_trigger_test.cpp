// Unit tests for fault trigger expressions: parsing, precedence, unknown values, and errors
// that name the column.
#include <gtest/gtest.h>

#include "harness/config/trigger.h"

namespace wedge::config {
namespace {

Trigger parse(std::string_view text) {
  auto t = parse_trigger(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.error().message();
  return t.ok() ? *t : Trigger{};
}

std::string error_of(std::string_view text) {
  auto t = parse_trigger(text);
  return t.ok() ? "(parsed)" : t.error().message();
}

TEST(FaultTrigger, SingleComparisonEveryOperator) {
  GuestNumbers n{.swap_used_mib = 100};
  EXPECT_FALSE(evaluate(parse("swap_used_mib > 100"), n));
  EXPECT_TRUE(evaluate(parse("swap_used_mib >= 100"), n));
  EXPECT_FALSE(evaluate(parse("swap_used_mib < 100"), n));
  EXPECT_TRUE(evaluate(parse("swap_used_mib <= 100"), n));
  EXPECT_TRUE(evaluate(parse("swap_used_mib == 100"), n));
  EXPECT_TRUE(evaluate(parse("swap_used_mib>99.5"), n));  // no spaces needed
  EXPECT_TRUE(evaluate(parse("  swap_used_mib   <   1e3 "), n));
}

TEST(FaultTrigger, EveryNameReadsItsField) {
  GuestNumbers n{.elapsed_s = 1,
                 .swap_used_mib = 2,
                 .memfree_mib = 3,
                 .dirty_mib = 4,
                 .writeback_mib = 5,
                 .pswpout = 6,
                 .workload_mib = 7};
  EXPECT_TRUE(evaluate(parse("elapsed_s == 1"), n));
  EXPECT_TRUE(evaluate(parse("swap_used_mib == 2"), n));
  EXPECT_TRUE(evaluate(parse("memfree_mib == 3"), n));
  EXPECT_TRUE(evaluate(parse("dirty_mib == 4"), n));
  EXPECT_TRUE(evaluate(parse("writeback_mib == 5"), n));
  EXPECT_TRUE(evaluate(parse("pswpout == 6"), n));
  EXPECT_TRUE(evaluate(parse("workload_mib == 7"), n));
}

TEST(FaultTrigger, AndBindsTighterThanOr) {
  // a or b and c == a or (b and c)
  Trigger t = parse("elapsed_s > 100 or swap_used_mib > 10 and pswpout > 5");
  ASSERT_EQ(t.any_of.size(), 2u);
  EXPECT_EQ(t.any_of[0].size(), 1u);
  EXPECT_EQ(t.any_of[1].size(), 2u);
  EXPECT_TRUE(evaluate(t, {.elapsed_s = 101, .swap_used_mib = 0, .pswpout = 0}));
  EXPECT_FALSE(evaluate(t, {.elapsed_s = 1, .swap_used_mib = 20, .pswpout = 0}));
  EXPECT_TRUE(evaluate(t, {.elapsed_s = 1, .swap_used_mib = 20, .pswpout = 6}));
  // (a and b) or c
  Trigger u = parse("swap_used_mib > 10 and pswpout > 5 or elapsed_s > 100");
  EXPECT_TRUE(evaluate(u, {.elapsed_s = 101}));
  EXPECT_FALSE(evaluate(u, {.elapsed_s = 1, .swap_used_mib = 20}));
}

TEST(FaultTrigger, UnknownValuesMakeComparisonsFalse) {
  Trigger t = parse("memfree_mib < 50");
  EXPECT_FALSE(evaluate(t, GuestNumbers{}));
  EXPECT_TRUE(evaluate(t, {.memfree_mib = 10}));
  EXPECT_FALSE(evaluate(parse("memfree_mib >= 0 or dirty_mib >= 0"), GuestNumbers{}));
}

TEST(FaultTrigger, ToStringRoundTrips) {
  Trigger t = parse("swap_used_mib>100 and pswpout >= 5000 or elapsed_s<2.5");
  EXPECT_EQ(to_string(t), "swap_used_mib > 100 and pswpout >= 5000 or elapsed_s < 2.5");
  EXPECT_EQ(to_string(parse(to_string(t))), to_string(t));
}

TEST(FaultTrigger, ErrorsNameTheColumn) {
  EXPECT_EQ(error_of("swap > 1"),
            "column 1: unknown name 'swap' (known: elapsed_s, swap_used_mib, memfree_mib, "
            "dirty_mib, writeback_mib, pswpout, workload_mib)");
  EXPECT_EQ(error_of("swap_used_mib => 1"),
            "column 15: expected one of > >= < <= == after 'swap_used_mib', got '=>'");
  EXPECT_EQ(error_of("swap_used_mib > lots"),
            "column 17: expected a number after 'swap_used_mib >', got 'lots'");
  EXPECT_EQ(error_of("swap_used_mib > 1 && pswpout > 2"),
            "column 19: expected 'and', 'or' or the end, got '&'");
  EXPECT_EQ(error_of("swap_used_mib > 1 and"),
            "column 22: expected a name (elapsed_s, swap_used_mib, memfree_mib, dirty_mib, "
            "writeback_mib, pswpout, workload_mib) but the expression ended");
  EXPECT_EQ(error_of("swap_used_mib >"),
            "column 16: expected a number after 'swap_used_mib >', got 'the end'");
  EXPECT_EQ(error_of("swap_used_mib > 1.2.3"),
            "column 17: expected a number after 'swap_used_mib >', got '1.2.3'");
  EXPECT_EQ(error_of(""),
            "column 1: expected a name (elapsed_s, swap_used_mib, memfree_mib, dirty_mib, "
            "writeback_mib, pswpout, workload_mib) but the expression ended");
  EXPECT_EQ(error_of("(swap_used_mib > 1)"),
            "column 1: unknown name '(' (known: elapsed_s, swap_used_mib, memfree_mib, "
            "dirty_mib, writeback_mib, pswpout, workload_mib)");
}

}  // namespace
}  // namespace wedge::config
