// Tests for console/flood_meter.h: byte arrivals with times, as GuestSession feeds them.
#include <gtest/gtest.h>

#include "harness/console/flood_meter.h"

namespace wedge::console {
namespace {

// Feeds `per_second` bytes in 10 chunks during each second of [from, to).
void print(FloodMeter& m, int from, int to, size_t per_second) {
  for (int s = from; s < to; ++s) {
    for (int i = 0; i < 10; ++i) m.add(s + i / 10.0, per_second / 10);
  }
}

TEST(FloodMeter, BootChatterIsNoFlood) {
  FloodMeter m;
  print(m, 0, 30, 2000);
  m.add(31, 0);
  EXPECT_TRUE(m.floods().empty());
  EXPECT_FALSE(m.flooding());
  EXPECT_EQ(m.total_bytes(), 30u * 2000);
}

TEST(FloodMeter, ShortBurstLikeASysrqDumpIsNoFlood) {
  FloodMeter m;
  print(m, 0, 10, 1000);
  print(m, 10, 13, 1 << 20);  // 3 s of 1 MiB/s
  print(m, 13, 20, 1000);
  EXPECT_TRUE(m.floods().empty());
}

TEST(FloodMeter, SustainedFloodIsRecordedWithItsBytes) {
  FloodMeter m;
  print(m, 0, 10, 1000);
  print(m, 10, 22, 1000000);  // 12 s of 1 MB/s
  print(m, 22, 30, 1000);
  auto floods = m.floods();
  ASSERT_EQ(floods.size(), 1u);
  EXPECT_EQ(floods[0], (Flood{10, 22, 12000000}));
  EXPECT_FALSE(m.flooding());
}

TEST(FloodMeter, FloodStillGoingCountsOnceLongEnough) {
  FloodMeter m;
  print(m, 0, 4, 1 << 20);
  m.add(4.0, 0);
  EXPECT_FALSE(m.flooding()) << "4 s is not yet a flood";
  print(m, 4, 6, 1 << 20);
  m.add(6.0, 0);
  EXPECT_TRUE(m.flooding());
  ASSERT_EQ(m.floods().size(), 1u);
  EXPECT_EQ(m.floods()[0].start_s, 0);
  EXPECT_EQ(m.floods()[0].end_s, 6);
}

TEST(FloodMeter, OneQuietSecondSplitsFloods) {
  FloodMeter m({.bytes_per_s = 100, .min_s = 2});
  print(m, 0, 3, 1000);
  print(m, 3, 4, 0);
  print(m, 4, 7, 1000);
  m.add(8, 0);
  auto floods = m.floods();
  ASSERT_EQ(floods.size(), 2u);
  EXPECT_EQ(floods[0], (Flood{0, 3, 3000}));
  EXPECT_EQ(floods[1], (Flood{4, 7, 3000}));
}

TEST(FloodMeter, ReadsThatSkipSecondsCloseTheGap) {
  // The host read nothing for a while (busy collecting traces), then one big chunk.
  FloodMeter m({.bytes_per_s = 100, .min_s = 2});
  print(m, 0, 3, 1000);
  m.add(9.5, 50);
  m.add(11, 0);
  ASSERT_EQ(m.floods().size(), 1u);
  EXPECT_EQ(m.floods()[0], (Flood{0, 3, 3000}));
}

}  // namespace
}  // namespace wedge::console
