// Unit tests for harness/run/progress_record: the lines of a run's progress.jsonl.
#include "harness/run/progress_record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace wedge::run {
namespace {

using nlohmann::json;

TEST(ProgressRecord, CarriesTheMeasureAndTheServerBytes) {
  agent::Measure m{40, 128, "MiB", "write"};
  storage::ServerStats stats{41943040, 1048576, 1, 65536};
  std::string line = progress_record_line(12.0034, &m, &stats);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json j = json::parse(line);
  EXPECT_DOUBLE_EQ(j["t_s"].get<double>(), 12.003);
  EXPECT_EQ(j["workload"]["done"], 40);
  EXPECT_EQ(j["workload"]["total"], 128);
  EXPECT_EQ(j["workload"]["unit"], "MiB");
  EXPECT_EQ(j["workload"]["phase"], "write");
  EXPECT_EQ(j["server"]["bytes_from_guest"], 41943040);
  EXPECT_EQ(j["server"]["bytes_to_guest"], 1048576);
  EXPECT_EQ(j["server"]["connections"], 1);
  EXPECT_EQ(j["server"]["bytes_queued_to_server"], 65536);
}

// Before the workload reports, or without a host server (9p), the part is left out.
TEST(ProgressRecord, LeavesOutWhatTheRunDoesNotHave) {
  json j = json::parse(progress_record_line(1.5, nullptr, nullptr));
  EXPECT_EQ(j.size(), 1u);
  EXPECT_DOUBLE_EQ(j["t_s"].get<double>(), 1.5);
}

// The unit and phase come from the workload's output: bounded, and invalid UTF-8 replaced
// rather than making the line unparsable.
TEST(ProgressRecord, WorkloadWordsAreBoundedAndValidUtf8) {
  agent::Measure m{1, 0, std::string(500, 'u'), "Writing \xff\xfe inode tables"};
  json j = json::parse(progress_record_line(2, &m, nullptr));
  EXPECT_EQ(j["workload"]["unit"].get<std::string>().size(), 64u);
  EXPECT_NE(j["workload"]["phase"].get<std::string>().find("inode"), std::string::npos);
}

}  // namespace
}  // namespace wedge::run
