// Implementation of process.h on Boost.Process v1 (child + group).
#include "harness/util/process.h"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/group.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/interrupt.h"

namespace bp = boost::process;
namespace fs = std::filesystem;

namespace wedge {

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return fmt::format("killed by SIG{}", name ? name : std::to_string(signal));
  }
  return fmt::format("exit {}", code);
}

fs::path next_to_this_program(const std::string& name) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return exe.parent_path() / name;
}

Result<fs::path> find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return fs::path(name);
    return make_error("{} is not an executable file", name);
  }
  std::vector<boost::filesystem::path> dirs = boost::this_process::path();
  for (const char* extra : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.emplace_back(extra);
  auto found = bp::search_path(name, dirs);
  if (found.empty()) return make_error("{} not found on PATH (is its package installed?)", name);
  return fs::path(found.string());
}

namespace {

// In the forked child, before exec: raw system calls only (the child of a threaded process
// may call nothing that takes a lock). Returns 0, or -1 with errno set.
int drop_to(const Identity& id) {
  const bool keep_caps = !id.capabilities.empty();
  // While still root: no exec can regain a capability not kept (bounding set), and uid 0
  // grants none (securebits), even if the child later becomes uid 0. Best effort: a container
  // without CAP_SETPCAP keeps its bounding set.
  for (int cap = 0; cap < 64; ++cap) {
    bool kept = false;
    for (int k : id.capabilities) kept = kept || k == cap;
    if (!kept) (void)::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  const unsigned long bits =
      SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | (keep_caps ? SECBIT_KEEP_CAPS : 0);
  if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0 && keep_caps &&
      ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return -1;
  }
  if (::syscall(SYS_setgroups, 0, nullptr) != 0) return -1;
  if (::syscall(SYS_setresgid, id.gid, id.gid, id.gid) != 0) return -1;
  if (::syscall(SYS_setresuid, id.uid, id.uid, id.uid) != 0) return -1;
  if (!keep_caps) return 0;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap : id.capabilities) {
    const uint32_t bit = 1u << (cap % 32);
    data[cap / 32].effective |= bit;
    data[cap / 32].permitted |= bit;
    data[cap / 32].inheritable |= bit;
  }
  if (::syscall(SYS_capset, &header, data) != 0) return -1;
  for (int cap : id.capabilities) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return -1;
  }
  return 0;
}

}  // namespace

struct ChildProcess::Impl {
  bp::group group;
  bp::child child;
};

ChildProcess::ChildProcess(std::unique_ptr<Impl> impl, std::string name)
    : impl_(std::move(impl)), name_(std::move(name)) {}
ChildProcess::ChildProcess(ChildProcess&&) noexcept = default;
ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (impl_) stop(std::chrono::milliseconds(0));
    impl_ = std::move(other.impl_);
    name_ = std::move(other.name_);
    exit_ = other.exit_;
  }
  return *this;
}
ChildProcess::~ChildProcess() {
  if (impl_) stop(std::chrono::milliseconds(0));
}

static ExitStatus decode_status(int native) {
  ExitStatus s;
  if (WIFSIGNALED(native)) {
    s.signal = WTERMSIG(native);
  } else if (WIFEXITED(native)) {
    s.code = WEXITSTATUS(native);
  }
  return s;
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv,
                                         const SpawnOptions& options) {
  if (argv.empty()) return make_error("spawn: empty argv");
  WEDGE_TRY(fs::path exe, find_executable(argv[0]));
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path.string();
  std::string err = options.stderr_path.empty() ? out : options.stderr_path.string();
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  // The child dies with us even if wedge is SIGKILLed (its own children are stopped by group).
  auto die_with_parent =
      bp::extend::on_exec_setup([](auto&) { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
  // Last of the child's setup steps: its files are open and its folder entered by then.
  auto become = bp::extend::on_exec_setup([identity = options.identity](auto&) {
    if (identity && drop_to(*identity) != 0) {
      static const char kMsg[] = "wedge: could not drop to the server's user before exec\n";
      (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
      ::_exit(126);
    }
  });
  bp::environment env = boost::this_process::environment();
  for (const auto& [name, value] : options.env) env[name] = value;
  boost::filesystem::path start_dir = options.working_dir.empty()
                                          ? boost::filesystem::current_path()
                                          : boost::filesystem::path(options.working_dir.string());
  try {
    if (err == out) {
      impl->child = bp::child(boost::filesystem::path(exe.string()), bp::args(args),
                              (bp::std_out & bp::std_err) > out, bp::std_in < bp::null,
                              bp::start_dir(start_dir), bp::env(env), impl->group, die_with_parent,
                              become, ec);
    } else {
      impl->child =
          bp::child(boost::filesystem::path(exe.string()), bp::args(args), bp::std_out > out,
                    bp::std_err > err, bp::std_in < bp::null, bp::start_dir(start_dir),
                    bp::env(env), impl->group, die_with_parent, become, ec);
    }
  } catch (const std::exception& e) {
    return make_error("spawn {}: {}", argv[0], e.what());
  }
  if (ec) return make_error("spawn {}: {}", argv[0], ec.message());
  return ChildProcess(std::move(impl), exe.filename().string());
}

pid_t ChildProcess::pid() const { return impl_ ? impl_->child.id() : -1; }

bool ChildProcess::running() {
  if (!impl_ || exit_) return false;
  std::error_code ec;
  if (impl_->child.running(ec)) return true;
  impl_->child.wait(ec);
  exit_ = decode_status(impl_->child.native_exit_code());
  return false;
}

Status ChildProcess::signal_group(int sig) {
  if (!impl_) return make_error("{}: no process", name_);
  pid_t pgid = impl_->group.native_handle();
  if (::kill(-pgid, sig) != 0)
    return errno_error(fmt::format("kill -{} group of {}", sig, name_), errno);
  return ok_status();
}

Result<ExitStatus> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error("{} (pid {}) still running after {} ms", name_, pid(), timeout.count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return *exit_;
}

ExitStatus ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!impl_) return exit_.value_or(ExitStatus{});
  pid_t pgid = impl_->group.native_handle();
  if (running() && grace.count() > 0) {
    ::kill(-pgid, SIGCONT);  // a stopped group cannot act on SIGTERM
    ::kill(-pgid, SIGTERM);
    (void)wait_for(grace);
  }
  // Kill what is left of the group, including forked helpers of an exited main process.
  ::kill(-pgid, SIGCONT);
  ::kill(-pgid, SIGKILL);
  std::error_code ec;
  if (!exit_) {
    impl_->child.wait(ec);
    exit_ = decode_status(impl_->child.native_exit_code());
  }
  impl_->group.detach();
  impl_->child.detach();
  impl_.reset();
  return *exit_;
}

Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) {
  return run_command(argv, timeout, SpawnOptions{});
}

Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, const SpawnOptions& as) {
  WEDGE_TRY(TempDir dir, TempDir::create("wedge-cmd"));
  SpawnOptions options;
  options.identity = as.identity;
  options.env = as.env;
  options.stdout_path = dir.path() / "out";
  options.stderr_path = dir.path() / "err";
  WEDGE_TRY(ChildProcess child, ChildProcess::spawn(argv, options));
  // Waits in slices so that SIGINT/SIGTERM stops a long download or build step at once.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<ExitStatus> ended;
  while (!ended) {
    if (interrupted()) {
      child.stop(std::chrono::milliseconds(0));
      return interruption_error().context(argv[0]);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      child.stop(std::chrono::milliseconds(0));
      return make_error("{} timed out after {} s", argv[0], timeout.count() / 1000.0);
    }
    auto waited = child.wait_for(std::min(left, std::chrono::milliseconds(100)));
    if (waited) ended = *waited;
  }
  CommandOutput result;
  result.status = *ended;
  child.stop(std::chrono::milliseconds(0));  // reap leftovers of its group
  auto out = read_file(options.stdout_path);
  auto err = read_file(options.stderr_path);
  if (out) result.out = std::move(*out);
  if (err) result.err = std::move(*err);
  return result;
}

Result<CommandOutput> run_checked(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, const SpawnOptions& as) {
  WEDGE_TRY(CommandOutput out, run_command(argv, timeout, as));
  if (!out.status.success()) {
    std::string_view err = out.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.remove_suffix(1);
    auto nl = err.rfind('\n');
    std::string_view last = nl == std::string_view::npos ? err : err.substr(nl + 1);
    return make_error("{} failed ({}){}{}", argv[0], out.status.describe(),
                      last.empty() ? "" : ": ", last);
  }
  return out;
}

}  // namespace wedge
