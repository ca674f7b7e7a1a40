// Task traces as the trace collector writes them (a traces/N/summary.json's "tasks", or an
// all-tasks.json), read back for tests that replay recorded runs.
//
//   std::vector<traces::TaskTrace> tasks = test::recorded_tasks(summary["tasks"]);
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/traces/task_trace.h"

namespace wedge::test {

inline std::vector<traces::TaskTrace> recorded_tasks(const nlohmann::json& list) {
  std::vector<traces::TaskTrace> tasks;
  for (const auto& t : list) {
    traces::TaskTrace task;
    task.pid = t["pid"];
    task.comm = t["comm"];
    task.state = t["state"];
    task.frames = t["frames"].get<std::vector<std::string>>();
    tasks.push_back(task);
  }
  return tasks;
}

}  // namespace wedge::test
