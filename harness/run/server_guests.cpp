// Implementation of server_guests.h.
#include "harness/run/server_guests.h"

#include <atomic>
#include <thread>

#include "harness/detect/analyze.h"
#include "harness/run/guest_session.h"
#include "harness/run/run_files.h"
#include "harness/run/session_guest_ops.h"
#include "harness/run/socket_dir.h"
#include "harness/run/stage_boot.h"
#include "harness/util/net.h"

namespace wedge::run {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// How often the server guest's streams are read while nobody else asks.
constexpr auto kPumpEvery = 100ms;
// A server guest whose agent sent no heartbeat for this long is not healthy.
constexpr double kHeartbeatLost_s = 10;
// How long a sysrq through the server guest's agent may take.
constexpr auto kSysrqTimeout = 10s;

// GuestOps on the server guest, one caller at a time with the pumping thread.
class LockedGuestOps final : public storage::GuestOps {
 public:
  LockedGuestOps(storage::GuestOps& inner, std::mutex& mutex, std::string role)
      : inner_(inner), mutex_(mutex), role_(std::move(role)) {}
  Result<std::string> run(const std::vector<std::string>& argv) override {
    std::lock_guard lock(mutex_);
    return inner_.run(argv);
  }
  Result<uint32_t> start(const std::string& name, const std::vector<std::string>& argv) override {
    std::lock_guard lock(mutex_);
    return inner_.start(name, argv);
  }
  std::optional<std::string> exited(uint32_t job) override {
    std::lock_guard lock(mutex_);
    return inner_.exited(job);
  }
  Status write_file(const std::string& path, const std::string& data) override {
    std::lock_guard lock(mutex_);
    return inner_.write_file(path, data);
  }
  Result<std::string> read_file(const std::string& path, size_t max_bytes) override {
    std::lock_guard lock(mutex_);
    return inner_.read_file(path, max_bytes);
  }
  void wait(std::chrono::milliseconds for_how_long) override {
    std::lock_guard lock(mutex_);
    inner_.wait(for_how_long);
  }
  // Lines about "guest: ..." name this guest by its role instead.
  void say(const std::string& line) override {
    constexpr std::string_view kGuest = "guest: ";
    inner_.say(line.starts_with(kGuest) ? role_ + ": " + line.substr(kGuest.size()) : line);
  }
  std::chrono::milliseconds command_timeout() const override { return inner_.command_timeout(); }

 private:
  storage::GuestOps& inner_;
  std::mutex& mutex_;
  std::string role_;
};

class RunServerGuest final : public storage::ServerGuest {
 public:
  RunServerGuest(RunContext& ctx, std::unique_ptr<vm::Instance> vm, fs::path dir,
                 std::vector<vm::VmSpec::PortForward> forwards, std::optional<TempDir> link,
                 const std::string& role, int memory_mib)
      : ctx_(ctx),
        vm_(std::move(vm)),
        dir_(std::move(dir)),
        forwards_(std::move(forwards)),
        link_(std::move(link)),
        session_(
            *vm_, dir_, [this] { return now_s(); }, [this](const Pumped& p) { note_panic(p); }),
        session_ops_(session_, ctx.progress, ctx.timeouts),
        ops_(session_ops_, mutex_, role),
        memory_mib_(memory_mib) {}

  ~RunServerGuest() override {
    stop_ = true;
    if (pumper_.joinable()) pumper_.join();
    session_.close_logs();
    (void)vm_->destroy();
    vm_.reset();
    std::error_code ec;
    for (const std::string& name : transient_files(/*keep_export=*/true)) {
      fs::remove(dir_ / name, ec);
    }
  }

  // Waits for the agent, then keeps pumping on a thread of its own.
  Result<double> wait_ready() {
    const auto started = std::chrono::steady_clock::now();
    WEDGE_TRY(agent::Hello hello, session_.wait_for_hello(ctx_.timeouts.boot()));
    (void)hello;
    boot_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    pumper_ = std::thread([this] {
      while (!stop_) {
        {
          std::lock_guard lock(mutex_);
          (void)session_.pump();
        }
        std::this_thread::sleep_for(kPumpEvery);
      }
    });
    return boot_s_;
  }

  storage::GuestOps& ops() override { return ops_; }
  int host_port(int guest_port) const override {
    for (const auto& f : forwards_) {
      if (f.guest_port == guest_port) return f.host_port;
    }
    return 0;
  }
  Status pause() override {
    std::lock_guard lock(mutex_);
    auto* p = vm::find<vm::Pausable>(*vm_);
    if (p == nullptr) return make_error("{}: this backend cannot pause a guest", vm_->name());
    return p->pause();
  }
  Status resume() override {
    std::lock_guard lock(mutex_);
    auto* p = vm::find<vm::Pausable>(*vm_);
    if (p == nullptr) return make_error("{}: this backend cannot resume a guest", vm_->name());
    return p->resume();
  }
  Status set_memory_mib(int mib) override {
    std::lock_guard lock(mutex_);
    auto* b = vm::find<vm::Balloon>(*vm_);
    if (b == nullptr) return make_error("{}: this backend has no balloon", vm_->name());
    return b->set_balloon_mib(mib);
  }
  int memory_mib() const override { return memory_mib_; }
  Status dump_blocked_tasks() override {
    std::lock_guard lock(mutex_);
    auto state = vm_->state();
    if (!state) return state.error();
    if (*state != vm::DomainState::kRunning) {
      return make_error("{} is {}", vm_->name(), vm::to_string(*state));
    }
    const double silent_s = now_s() - session_.last_heartbeat_s();
    if (silent_s >= kHeartbeatLost_s) {
      return make_error("{}: its agent has been silent for {:.0f} s", vm_->name(), silent_s);
    }
    return session_.agent_sysrq('w', kSysrqTimeout);
  }
  // The host's part only: the domain is there (running, or paused by a fault). A kernel that
  // panicked or hung in it is a finding of its console, never the host's failure.
  bool healthy() override {
    std::lock_guard lock(mutex_);
    auto state = vm_->state();
    return state.ok() &&
           (*state == vm::DomainState::kRunning || *state == vm::DomainState::kPaused);
  }
  std::string describe() const override {
    return fmt::format("{} (booted in {:.1f} s)", vm_->name(), boot_s_);
  }
  std::optional<std::string> kernel_death() const override {
    std::lock_guard lock(death_mutex_);
    return death_;
  }

 private:
  // Called by the session while it pumps: the first panic its console printed.
  void note_panic(const Pumped& p) {
    for (const console::Event& e : p.console_events) {
      if (e.kind != console::EventKind::kPanic) continue;
      std::lock_guard lock(death_mutex_);
      if (!death_) death_ = e.title;
    }
  }

  // The server guest's clock: seconds since the run began. Not the run's own clock (ctx.now_s),
  // which the client's boot restarts on the main thread while this guest's pumping thread reads.
  double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx_.run_start).count();
  }

  RunContext& ctx_;
  std::unique_ptr<vm::Instance> vm_;
  fs::path dir_;
  std::vector<vm::VmSpec::PortForward> forwards_;
  std::optional<TempDir> link_;
  // The session and the guest: the pumping thread, ops() callers and the run's faults and
  // health checks take turns.
  std::mutex mutex_;
  GuestSession session_;
  SessionGuestOps session_ops_;
  LockedGuestOps ops_;
  std::atomic<bool> stop_{false};
  std::thread pumper_;
  double boot_s_ = -1;
  int memory_mib_ = 0;
  mutable std::mutex death_mutex_;  // the pumping thread writes, the run's monitor reads
  std::optional<std::string> death_;
};

}  // namespace

Result<std::unique_ptr<storage::ServerGuest>> RunServerGuests::boot(
    const storage::ServerGuestSpec& wanted) {
  for (const auto& b : booted_) {
    if (b.role == wanted.role)
      return make_error("a server guest '{}' was booted already", wanted.role);
  }
  const fs::path dir = ctx_.run_dir / wanted.role;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());

  // The client's guest, less what the transport adds: the same kernel, image and command line.
  vm::VmSpec spec = guest_spec(ctx_, {&image_, kvm_, nullptr});
  spec.name += "-" + wanted.role;
  spec.memory_mib = wanted.memory_mib;
  spec.vcpus = 1;
  spec.nic_model = "virtio";
  spec.keep_after_exit = false;
  spec.disks = wanted.disks;
  spec.console_log = dir / kConsoleLog;
  std::optional<TempDir> link;
  WEDGE_TRY(spec.agent_socket, agent_socket_path(dir, link));
  for (int port : wanted.ports) {
    WEDGE_TRY(int host_port, pick_free_loopback_port());
    spec.forwards.push_back({host_port, port});
  }
  ctx_.progress.step(fmt::format("booting server guest {} ({} MiB, {})", spec.name, spec.memory_mib,
                                 spec.kvm ? "kvm" : "tcg"));
  WEDGE_TRY(auto vm, backend_.start(spec).context("starting the server guest"));
  auto guest = std::make_unique<RunServerGuest>(ctx_, std::move(vm), dir, spec.forwards,
                                                std::move(link), wanted.role, spec.memory_mib);
  auto ready = guest->wait_ready();
  if (!ready) {
    // Its kernel panicked while booting: the kernel under test did not boot, as when the
    // client's does not. Anything else (QEMU gone, no hello in time) stays the host's failure.
    if (auto death = guest->kernel_death()) {
      boot_failure_ = fmt::format("the server guest ({}) did not boot: {}", wanted.role, *death);
      return make_error("{}", *boot_failure_);
    }
    return ready.error().context(fmt::format("server guest {} never got ready", spec.name));
  }
  const double boot_s = *ready;
  ctx_.progress.step(fmt::format("server guest ready in {:.1f} s", boot_s));
  Booted b;
  b.role = wanted.role;
  b.console_log = spec.console_log;
  b.record = {wanted.role, spec.name, spec.memory_mib, boot_s, ctx_.report.pinned_bytes};
  booted_.push_back(std::move(b));
  return std::unique_ptr<storage::ServerGuest>(std::move(guest));
}

std::vector<reports::Finding> RunServerGuests::findings() const {
  std::vector<reports::Finding> out;
  for (const auto& b : booted_) {
    // The blocked-task dumps in it are the ones the run asked for when its client hung.
    auto analysis = detect::analyze_console_file(b.console_log, {.hangs_from_task_dumps = false});
    if (!analysis) continue;
    for (reports::Finding f : analysis->findings) {
      f.guest = b.role;
      out.push_back(std::move(f));
    }
  }
  return out;
}

std::vector<reports::ServerGuestRecord> RunServerGuests::records() const {
  std::vector<reports::ServerGuestRecord> out;
  for (const auto& b : booted_) out.push_back(b.record);
  return out;
}

}  // namespace wedge::run
