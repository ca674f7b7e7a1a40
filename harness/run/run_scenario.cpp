// One run as a sequence of stages, each in its own file with typed input and output: image
// (stage_image.h), hypervisor (stage_hypervisor.h), storage (stage_storage.h), boot
// (stage_boot.h), guest setup (stage_guest_setup.h), workload and monitoring with traces
// (stage_workload.h, stage_traces.h), then teardown and the verdict (detect/classify_run.h).
// The Runner holds what the stages share and tears it down on every path.
#include "harness/run/run_scenario.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

#include "harness/config/load_scenario.h"
#include "harness/detect/classify_run.h"
#include "harness/detect/detector.h"
#include "harness/run/host_monitor.h"
#include "harness/run/host_probes.h"
#include "harness/run/monitor.h"
#include "harness/run/run_context.h"
#include "harness/run/run_dir.h"
#include "harness/run/run_files.h"
#include "harness/run/run_lease.h"
#include "harness/run/server_guests.h"
#include "harness/run/socket_dir.h"
#include "harness/run/stage_boot.h"
#include "harness/run/stage_guest_setup.h"
#include "harness/run/stage_hypervisor.h"
#include "harness/run/stage_image.h"
#include "harness/run/stage_storage.h"
#include "harness/run/stage_workload.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/workload_kinds/workload_registry.h"

namespace wedge::run {

namespace fs = std::filesystem;
using reports::Verdict;

namespace {

// The current UTC time in a strftime format.
std::string utc_now(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string make_run_id() {
  std::random_device rd;
  return fmt::format("{}-{:04x}", utc_now("%Y%m%d-%H%M%S"), rd() & 0xffff);
}

namespace {

// Everything a run owns, torn down in reverse order of creation.
struct RunResources {
  std::unique_ptr<vm::Backend> backend;
  std::unique_ptr<storage::Transport> transport;
  std::unique_ptr<vm::Instance> vm;
};

class Runner {
 public:
  Runner(const config::Scenario& scenario, const RunOptions& options, const RunSources& sources)
      : sources_(sources),
        progress_(options.quiet),
        ctx_(scenario, options, progress_, result_.report) {}

  RunResult run();

 private:
  Status prepare_run_dir();
  // The stages, in order; whatever stops them, teardown() follows.
  Status run_stages();
  Status run_guest(vm::Backend& backend, const ImageOutput& image, bool kvm);
  // Closes the guest-fed logs and records which were cut at their cap.
  void record_logs(GuestSession& session);
  void teardown();
  void record_verdict(const Status& status, bool was_interrupted, const std::string& phase);

  const RunSources& sources_;
  Progress progress_;
  RunResult result_;
  RunContext ctx_;
  std::optional<TempDir> socket_link_;  // a short path to the run dir's sockets (socket_dir.h)
  RunResources res_;
  const workloads::WorkloadEntry& workload_ =
      workloads::workload_entry(ctx_.scenario.workload.kind);
  std::optional<detect::Detector> detector_;
  std::optional<Monitor> monitor_;
  std::optional<HostMonitor> host_;
  std::optional<std::string> boot_failure_;
  std::optional<std::string> host_failure_;  // the host failed: an infra error with this reason
  bool wedged_ = false;                      // a hang or crash was found (for --keep-wedged)
  std::optional<RunLease> lease_;
  std::optional<RunServerGuests> server_guests_;   // what a kernel-served transport booted
  std::vector<reports::Finding> server_findings_;  // what their consoles showed
};

Status Runner::prepare_run_dir() {
  auto& r = result_.report;
  fs::path dir = ctx_.options.out_dir;
  if (dir.empty()) {
    DefaultRoot root = default_output_root("wedge-runs");
    if (!root.note.empty()) progress_.step(root.note);
    dir = root.path / r.run_id;
  }
  WEDGE_TRY(result_.run_dir, make_run_dir(dir, ctx_.options.force));
  ctx_.run_dir = result_.run_dir;
  WEDGE_CHECK(write_file_atomic(result_.run_dir / "scenario.toml", config::to_toml(ctx_.scenario)));
  // What teardown removes, recorded so that `wedge gc` removes it if this wedge is killed.
  WEDGE_TRY(lease_, RunLease::take(default_state_dir(), r.run_id, result_.run_dir,
                                   transient_files(ctx_.options.keep_export), "wedge-" + r.run_id));
  return ok_status();
}

Status Runner::run_stages() {
  auto& r = result_.report;
  res_.transport = storage::make_transport(ctx_.scenario);
  const ImageInput image_input{res_.transport.get(), &workload_};
  WEDGE_TRY(ImageOutput image, build_run_image(ctx_, image_input, sources_.image));
  record_image(image, ctx_.scenario, r);
  WEDGE_CHECK(add_workload_files(ctx_, image_input, image));

  WEDGE_TRY(HypervisorOutput hv, open_hypervisor(ctx_, sources_.backend, image.image));
  res_.backend = std::move(hv.backend);
  r.accel = hv.kvm ? "kvm" : "tcg";
  ctx_.timeouts = hv.timeouts;

  server_guests_.emplace(ctx_, *res_.backend, image, hv.kvm);
  auto storage = start_storage(ctx_, *res_.transport, *lease_, &*server_guests_);
  if (!storage && server_guests_->boot_failure()) {
    boot_failure_ = server_guests_->boot_failure();  // the kernel's failure, not the host's
    return ok_status();
  }
  if (!storage) return storage.error();
  r.server.name = storage->server;
  return run_guest(*res_.backend, image, hv.kvm);
}

Status Runner::run_guest(vm::Backend& backend, const ImageOutput& image, bool kvm) {
  auto& r = result_.report;
  vm::VmSpec spec = guest_spec(ctx_, {&image, kvm, res_.transport.get()});
  WEDGE_TRY(spec.agent_socket, agent_socket_path(ctx_.run_dir, socket_link_));
  BootCpuWait cpu_wait(vm::daemon_pid_of(backend));
  WEDGE_TRY(res_.vm, start_guest(ctx_, backend, spec, cpu_wait));

  detect::DetectorConfig detect_config =
      detect::DetectorConfig::for_run(ctx_.timeouts, ctx_.scenario.limits.stall_s);
  detect_config.oom_ok = ctx_.scenario.limits.oom_ok;
  detect_config.recover = ctx_.scenario.limits.recover;
  detector_.emplace(detect_config);
  monitor_.emplace(&*detector_, &workload_);
  host_.emplace(ctx_, *res_.vm, *res_.transport);
  WorkloadStage* workload_stage = nullptr;
  GuestSession session(
      *res_.vm, result_.run_dir, [this] { return ctx_.now_s(); },
      [this, &workload_stage](const Pumped& p) {
        monitor_->absorb(p, ctx_.now_s());
        // Faults keep their schedule even while a trace collection waits on the guest.
        if (workload_stage != nullptr) workload_stage->on_pump(ctx_.now_s());
      });
  host_->use_session(&session);
  // However this ends, the logs are closed and their cuts recorded.
  struct SessionEnd {
    Runner* runner;
    GuestSession* session;
    ~SessionEnd() { runner->record_logs(*session); }
  } session_end{this, &session};
  session.use_system_map(image.system_map);

  WEDGE_TRY(BootOutput boot, wait_until_ready(ctx_, {&session, &*host_, res_.vm.get(), &cpu_wait},
                                              spec.console_log));
  if (boot.boot_failure) {
    boot_failure_ = boot.boot_failure;
    return ok_status();
  }
  r.boot_s = boot.boot_s;
  r.boot_cpu_wait_s = boot.cpu_wait_s;
  r.agent_rss_kb = boot.hello->rss_kb;
  r.agent_memlocked_kb = boot.hello->memlocked_kb;

  WEDGE_TRY(GuestSetupOutput setup,
            set_up_guest(ctx_, session, {res_.transport.get(), &workload_, &*detector_}));

  WorkloadStage stage(ctx_, {&session, res_.vm.get(), res_.transport.get(), &*detector_, &*monitor_,
                             &*host_, &workload_});
  workload_stage = &stage;
  struct StageEnd {
    WorkloadStage** stage;
    bool* wedged;
    ~StageEnd() {
      *wedged = (*stage)->wedged();
      *stage = nullptr;
    }
  } stage_end{&workload_stage, &wedged_};
  return stage.run(setup.argv);
}

void Runner::record_logs(GuestSession& session) {
  session.close_logs();
  for (const CappedLog* log : session.logs()) {
    if (log->dropped() > 0) {
      result_.report.log_cuts.push_back(
          {log->path().filename().string(), log->written(), log->dropped()});
    }
  }
  result_.report.harness.ignored_agent_replies = session.ignored_replies();
  if (host_) host_->use_session(nullptr);
}

void Runner::teardown() {
  auto& r = result_.report;
  ctx_.enter("teardown");
  vm::Keepable* keepable = res_.vm ? vm::find<vm::Keepable>(*res_.vm) : nullptr;
  if (keepable != nullptr && ctx_.options.keep_wedged && wedged_) {
    keepable->release();
    progress_.step(fmt::format("--keep-wedged: {} is still running. {}", res_.vm->name(),
                               keepable->post_mortem_hint()));
  } else if (res_.vm) {
    if (auto s = res_.vm->destroy(); !s) {
      ctx_.note_host_event(s.error().context("destroying the guest").message());
      if (r.infra_error.empty())
        r.infra_error = s.error().context("destroying the guest").message();
    }
  }
  if (auto* host = res_.vm ? vm::find<vm::HostProcess>(*res_.vm) : nullptr) {
    vm::NetworkStats net = host->network_stats();
    r.network = {net.passed_frames, net.dropped_frames, net.last_dropped};
  }
  if (res_.transport) {
    for (storage::Server* server : res_.transport->servers()) {
      auto stats = server->stats();
      r.server.bytes_written += stats.bytes_from_guest;
      r.server.bytes_read += stats.bytes_to_guest;
      r.server.connections += stats.connections;
    }
    if (auto s = res_.transport->stop(); !s && r.infra_error.empty()) {
      r.infra_error = s.error().context("stopping the storage server").message();
    }
  }
  std::vector<fs::path> exports;
  if (res_.transport && !ctx_.options.keep_export) exports = res_.transport->exports();
  host_.reset();
  res_.vm.reset();
  res_.transport.reset();
  res_.backend.reset();
  if (!result_.run_dir.empty()) {
    std::error_code ec;
    for (const fs::path& p : exports) fs::remove_all(p, ec);
    for (const std::string& name : transient_files(/*keep_export=*/true)) {
      fs::remove(result_.run_dir / name, ec);
    }
  }
}

void Runner::record_verdict(const Status& status, bool was_interrupted, const std::string& phase) {
  auto& r = result_.report;
  detect::RunOutcome o;
  if (was_interrupted) o.interrupted = reports::InterruptRecord{interrupt_signal_name(), phase};
  o.host_failure = host_failure_;
  if (!status) o.stage_error = status.error().message();
  o.boot_failure = boot_failure_;
  if (detector_) o.detector = detect::DetectorOutcome::of(*detector_);
  o.disk_problem = disk_problem(result_.run_dir, 0, ok_status());
  o.earlier_infra_error = r.infra_error;
  o.run_s = r.run_s;
  if (server_guests_) server_findings_ = server_guests_->findings();
  o.server_findings = server_findings_;
  detect::RunClassification c = detect::classify_run(o);
  r.verdict = c.verdict;
  r.infra_error = c.infra_error;
  r.reason = c.reason;
  r.interrupted = c.interrupted;
  if (c.boot_finding) r.findings.push_back(*c.boot_finding);
}

RunResult Runner::run() {
  auto& r = result_.report;
  r.run_id = make_run_id();
  r.scenario = ctx_.scenario.name;
  r.scenario_file = ctx_.scenario.source.string();
  r.wedge_version = WEDGE_VERSION;
  r.workload_kind = config::name_of(ctx_.scenario.workload.kind);
  r.timeout_is_failure = ctx_.scenario.limits.timeout_is_failure;
  r.started_at = utc_now("%Y-%m-%dT%H:%M:%SZ");
  ctx_.run_start = std::chrono::steady_clock::now();
  Status status = prepare_run_dir();
  if (!status) {
    r.verdict = Verdict::kInfraError;
    r.infra_error = status.error().message();
    r.reason = r.infra_error;
    return result_;  // nowhere to write a report
  }
  progress_.step(fmt::format("run {} -> {}", r.run_id, result_.run_dir.string()));
  status = run_stages();
  const bool was_interrupted = interrupted();
  const std::string interrupted_phase = ctx_.phase;
  if (host_) host_failure_ = host_->failure();
  teardown();
  r.run_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx_.run_start).count();
  record_verdict(status, was_interrupted, interrupted_phase);
  if (detector_) {
    for (const auto& f : detector_->findings()) r.findings.push_back(f);
    for (const auto& st : detector_->stalls()) {
      r.stalls.push_back({st.start_s, st.duration_s, st.during_fault});
    }
  }
  if (server_guests_) {
    r.server.guests = server_guests_->records();
    for (auto& f : server_findings_) r.findings.push_back(std::move(f));
  }
  if (monitor_) {
    reports::GuestNumbers numbers = monitor_->numbers().guest;
    numbers.workload_exit_code = r.guest.workload_exit_code;
    numbers.workload_signal = r.guest.workload_signal;
    numbers.workload_result = std::move(r.guest.workload_result);
    r.guest = numbers;
    const console::FloodMeter& console = monitor_->numbers().console;
    r.console.bytes = console.total_bytes();
    for (const auto& f : console.floods())
      r.console.floods.push_back({f.start_s, f.end_s, f.bytes});
  }
  r.harness.peak_rss_kib = peak_rss_kib();
  r.files = files_in_run_dir(result_.run_dir);
  if (std::find(r.files.begin(), r.files.end(), "report.json") == r.files.end()) {
    r.files.push_back("report.json");
    std::sort(r.files.begin(), r.files.end());
  }
  if (auto s = reports::JsonWriter().write(r, result_.run_dir); !s) {
    progress_.step("could not write report.json: " + s.error().message());
  }
  lease_.reset();  // teardown removed what it listed
  return result_;
}

}  // namespace

Result<config::Scenario> load_run_scenario(const fs::path& path,
                                           const config::LoadOptions& options) {
  WEDGE_TRY(config::Scenario scenario, config::load_scenario(path, options));
  WEDGE_CHECK(storage::check_storage(scenario));
  WEDGE_CHECK(workloads::check_workload(scenario));
  return scenario;
}

RunSources RunSources::real(vm::BackendSource backend) {
  return {std::move(backend), ImageSource::real()};
}

RunResult run_scenario(const config::Scenario& scenario, const RunOptions& options,
                       const RunSources& sources) {
  Runner runner(scenario, options, sources);
  return runner.run();
}

}  // namespace wedge::run
