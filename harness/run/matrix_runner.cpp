// Child-process scheduling of matrix runs: spawn, poll, time out, collect report.json.
#include "harness/run/matrix_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "harness/run/matrix_summary.h"
#include "harness/run/run_scenario.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<Job> plan_jobs(const std::vector<config::Cell>& cells,
                           const std::vector<fs::path>& scenario_files, int repeat,
                           const fs::path& root) {
  std::vector<Job> jobs;
  for (int r = 1; r <= repeat; ++r) {
    for (size_t i = 0; i < cells.size(); ++i) {
      Job j;
      j.cell = static_cast<int>(i);
      j.repeat = r;
      j.scenario_file = scenario_files.at(i);
      j.rel_dir = fmt::format("runs/{}/r{}", cells[i].id, r);
      j.run_dir = root / j.rel_dir;
      j.timeout_s = cells[i].duration_s +
                    static_cast<int>(Timeouts{}.matrix_cell_slack / std::chrono::seconds(1));
      jobs.push_back(std::move(j));
    }
  }
  return jobs;
}

namespace {

struct Running {
  size_t job = 0;
  ChildProcess child;
  Clock::time_point deadline;
};

reports::RunEntry collect(const Job& job, const std::string& how) {
  auto record = reports::read_run(job.run_dir);
  if (!record) {
    return missing_run_entry(
        job.repeat, job.rel_dir,
        fmt::format("wedge run {} and left no report: {}", how, record.error().message()));
  }
  return run_entry(*record, job.repeat, job.rel_dir);
}

}  // namespace

std::vector<reports::RunEntry> run_jobs(const std::vector<Job>& jobs,
                                        const RunnerOptions& options) {
  std::vector<std::optional<reports::RunEntry>> done(jobs.size());
  std::vector<Running> running;
  size_t next = 0;
  const size_t parallel = static_cast<size_t>(std::max(1, options.parallel));
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < parallel) {
      const Job& job = jobs[next];
      std::error_code ec;
      fs::create_directories(job.run_dir.parent_path(), ec);
      std::vector<std::string> argv = {options.wedge.string(),     "run",
                                       job.scenario_file.string(), "--out",
                                       job.run_dir.string(),       "--quiet"};
      // The cell file lives in cells/, away from its scenario's folder: its [workload] files
      // were already held to that folder when the matrix was expanded.
      argv.push_back("--allow-outside-files");
      argv.insert(argv.end(), job.extra_args.begin(), job.extra_args.end());
      fs::path log = job.run_dir.string() + ".log";
      SpawnOptions spawn_options;
      spawn_options.stdout_path = log;
      auto child = ChildProcess::spawn(argv, spawn_options);
      if (!child) {
        done[next] = missing_run_entry(job.repeat, job.rel_dir,
                                       "starting wedge run: " + child.error().message());
      } else {
        options.log(fmt::format("started {} (pid {})", job.rel_dir, child->pid()));
        running.push_back(
            {next, std::move(*child), Clock::now() + std::chrono::seconds(job.timeout_s)});
      }
      ++next;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (auto it = running.begin(); it != running.end();) {
      bool late = Clock::now() > it->deadline;
      if (it->child.running() && !late) {
        ++it;
        continue;
      }
      ExitStatus status = late ? it->child.stop() : it->child.exit_status().value_or(ExitStatus{});
      const Job& job = jobs[it->job];
      done[it->job] = collect(
          job, late ? fmt::format("timed out after {} s", job.timeout_s) : status.describe());
      options.log(fmt::format("finished {}: {} ({})", job.rel_dir, done[it->job]->verdict,
                              status.describe()));
      it = running.erase(it);
    }
  }
  std::vector<reports::RunEntry> out;
  for (auto& d : done) out.push_back(std::move(*d));
  return out;
}

int default_parallelism(int guest_memory_mib) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  long available_mib = 0;
  if (auto meminfo = read_file("/proc/meminfo")) {
    auto pos = meminfo->find("MemAvailable:");
    if (pos != std::string::npos) available_mib = std::stol(meminfo->substr(pos + 13)) / 1024;
  }
  int by_memory = static_cast<int>(available_mib / (guest_memory_mib + 384));
  return std::max(1, std::min(cores, by_memory));
}

Result<config::Scenario> load_cell_scenario(const fs::path& file) {
  return load_run_scenario(file, {.allow_outside_files = true});
}

Result<std::vector<fs::path>> write_cell_files(const std::vector<config::Cell>& cells,
                                               const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::create_directories(root / "cells", ec);
  if (ec) return make_error("creating {}: {}", (root / "cells").string(), ec.message());
  for (const auto& c : cells) {
    fs::path file = root / "cells" / (c.id + ".toml");
    WEDGE_CHECK(write_file_atomic(file, c.toml));
    out.push_back(file);
  }
  return out;
}

}  // namespace wedge::run
