// storage::GuestOps over a run's GuestSession: what transports and workloads may do in the
// guest, each command shown as a progress step and logged to setup.log.
//
//   SessionGuestOps guest(session, progress, timeouts);
//   WEDGE_TRY(storage::Attached where, transport.attach(guest));
#pragma once

#include "harness/run/guest_session.h"
#include "harness/run/progress.h"
#include "harness/storage/guest_ops.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

class SessionGuestOps final : public storage::GuestOps {
 public:
  SessionGuestOps(GuestSession& session, Progress& progress, const Timeouts& timeouts)
      : session_(session), progress_(progress), timeouts_(timeouts) {}

  Result<std::string> run(const std::vector<std::string>& argv) override;
  Result<uint32_t> start(const std::string& name, const std::vector<std::string>& argv) override;
  std::optional<std::string> exited(uint32_t job) override;
  Status write_file(const std::string& path, const std::string& data) override;
  Result<std::string> read_file(const std::string& path, size_t max_bytes) override;
  void wait(std::chrono::milliseconds for_how_long) override;
  void say(const std::string& line) override { progress_.step(line); }
  std::chrono::milliseconds command_timeout() const override { return timeouts_.agent_command(); }

 private:
  GuestSession& session_;
  Progress& progress_;
  Timeouts timeouts_;
};

}  // namespace wedge::run
