// Implementation of session_guest_ops.h.
#include "harness/run/session_guest_ops.h"

#include <filesystem>
#include <thread>

namespace wedge::run {

namespace {

// "guest: modprobe nbd nbds_max=4": the program's base name and its arguments.
std::string step_name(const std::vector<std::string>& argv) {
  std::vector<std::string> shown(argv.begin(), argv.end());
  if (!shown.empty()) shown[0] = std::filesystem::path(shown[0]).filename().string();
  if (shown.size() > 1 && shown[0] == "busybox") shown.erase(shown.begin());
  return fmt::format("guest: {}", fmt::join(shown, " "));
}

}  // namespace

Result<std::string> SessionGuestOps::run(const std::vector<std::string>& argv) {
  const std::string name = step_name(argv);
  progress_.step(name);
  WEDGE_TRY(JobState job, session_.run_step(name, argv, timeouts_.agent_command()));
  return job.output;
}

Result<uint32_t> SessionGuestOps::start(const std::string& name,
                                        const std::vector<std::string>& argv) {
  return session_.start_job(name, argv);
}

std::optional<std::string> SessionGuestOps::exited(uint32_t job) {
  const JobState& state = session_.job(job);
  if (!state.exited) return std::nullopt;
  return fmt::format("{}{}{}",
                     state.signal ? fmt::format("signal {}", state.signal)
                                  : fmt::format("exit {}", state.exit_code),
                     state.output.empty() ? "" : ": ", state.output);
}

Status SessionGuestOps::write_file(const std::string& path, const std::string& data) {
  return session_.write_guest_file(path, data, timeouts_.agent_command());
}

Result<std::string> SessionGuestOps::read_file(const std::string& path, size_t max_bytes) {
  return session_.read_guest_file(path, max_bytes, timeouts_.agent_command());
}

void SessionGuestOps::wait(std::chrono::milliseconds for_how_long) {
  auto until = std::chrono::steady_clock::now() + for_how_long;
  do {
    (void)session_.pump();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < until);
}

}  // namespace wedge::run
