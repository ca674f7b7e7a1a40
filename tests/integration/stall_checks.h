// Checks shared by the integration tests of a server stalled mid-swap (one per transport):
// the fault kept its 30 s, and a hang was found during it.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace wedge {

// Expects one server-stall fault of about 30 s in report.json and a hang finding detected while
// it lasted; returns that finding (null, after a test failure, when there is none).
//   nlohmann::json hang = expect_hang_during_30s_stall(report);
inline nlohmann::json expect_hang_during_30s_stall(const nlohmann::json& report) {
  nlohmann::json hang;
  EXPECT_EQ(report["faults"].size(), 1u) << report["faults"].dump(2);
  if (report["faults"].empty()) return hang;
  const nlohmann::json& fault = report["faults"][0];
  EXPECT_EQ(fault["kind"], "server-stall");
  double stall_start = fault["start_s"], stall_stop = fault["stop_s"];
  EXPECT_NEAR(stall_stop - stall_start, 30, 3) << "the stall did not keep its duration";
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "hang") hang = f;
  }
  EXPECT_FALSE(hang.is_null()) << "the stall was not detected as a hang";
  if (hang.is_null()) return hang;
  EXPECT_TRUE(hang["during_fault"].get<bool>());
  double detected = hang["detected_s"];
  EXPECT_GT(detected, stall_start);
  EXPECT_LT(detected, stall_stop) << "hang found only after the server came back";
  return hang;
}

}  // namespace wedge
