// Child processes, always spawned from an argv vector through Boost.Process (never a shell).
// Each child leads its own process group, so stopping it also stops what it forked
// (nbd-server's per-connection children, for instance), and it dies with wedge.
//
//   WEDGE_TRY(auto server, ChildProcess::spawn({"nbdkit", "-f", ...}, {.stdout_path = log}));
//   WEDGE_CHECK(server.signal_group(SIGSTOP));
//   WEDGE_TRY(CommandOutput out, run_command({"depmod", "-b", root, version}, 30s));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge {

// Who a child runs as instead of wedge's own user: a user and its group (supplementary groups
// cleared), keeping only `capabilities` (CAP_* numbers, made ambient so that they survive
// exec). The child drops to it after its output files are open and before exec.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<int> capabilities;
};

struct SpawnOptions {
  std::filesystem::path stdout_path = {};  // empty: /dev/null
  std::filesystem::path stderr_path = {};  // empty: same file as stdout (or /dev/null)
  std::filesystem::path working_dir = {};  // empty: inherit
  std::optional<Identity> identity = {};   // empty: wedge's own
  // Added to (or replacing in) wedge's environment: {"TGT_IPC_SOCKET", "/tmp/x/socket"}.
  std::vector<std::pair<std::string, std::string>> env = {};
};

// How a child ended: normal exit with a code, or killed by a signal.
struct ExitStatus {
  int code = 0;    // valid when signal == 0
  int signal = 0;  // terminating signal, or 0
  [[nodiscard]] bool success() const { return signal == 0 && code == 0; }
  [[nodiscard]] std::string describe() const;  // "exit 1", "killed by SIGKILL"
};

// Finds an executable by name on PATH (and in /usr/sbin, /sbin, which root's PATH may lack).
[[nodiscard]] Result<std::filesystem::path> find_executable(const std::string& name);

// name in the running program's directory (of /proc/self/exe): what the build puts next to
// wedge (wedge-agent, stand-ins/). name alone when that directory is unknown.
[[nodiscard]] std::filesystem::path next_to_this_program(const std::string& name);

class ChildProcess {
 public:
  // Starts argv[0] (a path or a name looked up with find_executable).
  [[nodiscard]] static Result<ChildProcess> spawn(const std::vector<std::string>& argv,
                                                  const SpawnOptions& options = {});
  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // stops the whole group (SIGKILL) if still running

  [[nodiscard]] pid_t pid() const;
  [[nodiscard]] const std::string& name() const { return name_; }
  // True while the main process has not exited (reaps it if it has).
  [[nodiscard]] bool running();
  // The exit status once the process ended.
  [[nodiscard]] std::optional<ExitStatus> exit_status() const { return exit_; }
  // Sends sig to every process in the child's group.
  [[nodiscard]] Status signal_group(int sig);
  // Waits up to timeout for the main process to end.
  [[nodiscard]] Result<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM to the group, then SIGKILL after grace; always reaps. Returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  struct Impl;
  explicit ChildProcess(std::unique_ptr<Impl> impl, std::string name);
  std::unique_ptr<Impl> impl_;
  std::string name_;
  std::optional<ExitStatus> exit_;
};

struct CommandOutput {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs argv to completion (killing it after timeout, or at once on SIGINT/SIGTERM: see
// interrupt.h) and captures its output. Fails only when the command could not run, timed out
// or was interrupted; check status for its result.
[[nodiscard]] Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                                std::chrono::milliseconds timeout);

// The same, with the identity and environment of `as` (its output paths are ignored).
[[nodiscard]] Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                                std::chrono::milliseconds timeout,
                                                const SpawnOptions& as);

// Like run_command, but a non-zero exit is also an error carrying stderr's last line.
[[nodiscard]] Result<CommandOutput> run_checked(const std::vector<std::string>& argv,
                                                std::chrono::milliseconds timeout,
                                                const SpawnOptions& as = {});

}  // namespace wedge
