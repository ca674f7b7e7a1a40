// The narrow set of things a transport (or a workload) may do inside the guest, through the
// agent: run a command to completion, start one in the background, read and write files,
// wait while the run keeps pumping the guest's streams. The runner implements it over its
// guest session; tests implement it with a script.
//
//   WEDGE_CHECK(guest.run({"/bin/busybox", "mkdir", "-p", "/mnt/wedge"}));
//   WEDGE_TRY(uint32_t job, guest.start("iscsid", {iscsid, "-f"}));
//   if (auto out = guest.exited(job)) return make_error("iscsid exited: {}", *out);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/util/result.h"

namespace wedge::storage {

class GuestOps {
 public:
  virtual ~GuestOps() = default;
  // Runs argv (argv[0] an absolute guest path) to completion within the setup-command timeout,
  // shown as a progress step; a non-zero exit is an error carrying its output. Returns stdout.
  [[nodiscard]] virtual Result<std::string> run(const std::vector<std::string>& argv) = 0;
  // Starts argv in the background (a daemon the guest side needs); returns its job id.
  [[nodiscard]] virtual Result<uint32_t> start(const std::string& name,
                                               const std::vector<std::string>& argv) = 0;
  // nullopt while the job runs; once it exited, how it ended and its output.
  [[nodiscard]] virtual std::optional<std::string> exited(uint32_t job) = 0;
  [[nodiscard]] virtual Status write_file(const std::string& path, const std::string& data) = 0;
  [[nodiscard]] virtual Result<std::string> read_file(const std::string& path,
                                                      size_t max_bytes) = 0;
  // Waits about `for_how_long` while the guest's streams keep being read.
  virtual void wait(std::chrono::milliseconds for_how_long) = 0;
  // A line of progress for the user.
  virtual void say(const std::string& line) = 0;
  // How long one setup command may take (scaled for TCG).
  [[nodiscard]] virtual std::chrono::milliseconds command_timeout() const = 0;
};

// Polls `ready` every 100 ms (guest.wait) until it holds, or fails after timeout naming what.
[[nodiscard]] Status wait_in_guest(GuestOps& guest, const std::function<Result<bool>()>& ready,
                                   std::chrono::milliseconds timeout, const std::string& what);

}  // namespace wedge::storage
