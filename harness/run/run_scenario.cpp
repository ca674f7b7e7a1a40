// The run orchestration. Each phase adds context to its errors; the outcome is classified as
// finding (kernel failed), boot failure, or infra error (our tooling or the host failed).
#include "harness/run/run_scenario.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <thread>

#include "harness/agent/progress.h"
#include "harness/agent/sample.h"
#include "harness/config/load_scenario.h"
#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"
#include "harness/detect/server_silence.h"
#include "harness/detect/verdict_rules.h"
#include "harness/faults/injectors.h"
#include "harness/run/accel.h"
#include "harness/run/fault_driver.h"
#include "harness/run/guest_session.h"
#include "harness/run/host_probes.h"
#include "harness/run/host_watch.h"
#include "harness/run/image_needs.h"
#include "harness/run/monitor.h"
#include "harness/run/progress.h"
#include "harness/run/progress_record.h"
#include "harness/run/qemu_cpu.h"
#include "harness/run/reaper.h"
#include "harness/run/run_dir.h"
#include "harness/run/run_lease.h"
#include "harness/run/session_guest_ops.h"
#include "harness/run/socket_dir.h"
#include "harness/run/symbol_fetcher.h"
#include "harness/run/trace_collector.h"
#include "harness/storage/guest_use.h"
#include "harness/storage/ports.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/util/owner.h"
#include "harness/util/process.h"
#include "harness/util/timeouts.h"
#include "harness/vm/libvirt/libvirt_backend.h"
#include "harness/workloads/guest_setup.h"
#include "harness/workloads/workload_registry.h"
#include "vm-images/image.h"

namespace wedge::run {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
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

// Everything a run owns, torn down in reverse order of creation by the destructor.
struct RunResources {
  std::unique_ptr<vm::LibvirtBackend> backend;
  std::unique_ptr<storage::Transport> transport;
  std::unique_ptr<vm::Instance> vm;
};

class Runner {
 public:
  Runner(const config::Scenario& scenario, const RunOptions& options)
      : scenario_(scenario), options_(options), progress_(options.quiet) {}

  RunResult run();

 private:
  Status prepare_run_dir();
  Status boot_and_run();
  void monitor(GuestSession& session, uint32_t workload_job, detect::Detector& detector);
  void collect_pending_traces(GuestSession& session, detect::Detector& detector);
  // A hang whose task waits for RCU or a CPU: keeps pumping, up to
  // timeouts_.spinning_cpu_report() after the hang, for the kernel's report naming the CPU's
  // function (the detector retitles the hang when it comes).
  void wait_for_spinning_cpu_report(GuestSession& session, detect::Detector& detector);
  // Feeds the host servers' byte counters to server_silence_.
  void observe_servers(double now);
  Status prepare_faults(GuestSession& session);
  void step_faults(double now, detect::Detector& detector);
  void stop_all_faults(double now);
  // The phase SIGINT/SIGTERM would interrupt, for the report ("image build", "boot", ...).
  void enter(const char* phase) { phase_ = phase; }
  // Removes what dead wedges left behind (their guests, servers, export images, temp dirs).
  void reap_leftovers();
  // One look at the host side (QEMU, libvirt, the server, the disk): true when the host failed
  // (host_failure_ says how) or the guest stopped by itself (a crash for the detector).
  bool host_failed(double now, detect::Detector* detector);
  // QEMU's CPU time and the storage relay's byte counts, for the detector (twice a second).
  void sample_host(double now, detect::Detector& detector);
  void note_host_event(const std::string& event);
  // Closes the guest-fed logs and records which were cut at their cap.
  void record_logs(GuestSession& session);
  void teardown();
  double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  Result<std::vector<std::string>> workload_argv() const;
  Status prepare_workload(storage::GuestOps& guest);
  void read_cgroup_numbers(GuestSession& session);
  void watch_guest_counters(GuestSession& session);
  void read_workload_result(GuestSession& session);

  const config::Scenario& scenario_;
  RunOptions options_;
  Progress progress_;
  RunResult result_;
  std::optional<TempDir> socket_link_;  // a short path to the run dir's sockets (socket_dir.h)
  RunResources res_;
  Timeouts timeouts_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point run_start_ = std::chrono::steady_clock::now();
  bool boot_failed_ = false;
  std::string boot_failure_;
  std::optional<detect::Detector> detector_;
  std::optional<Monitor> monitor_;
  bool wedged_ = false;                   // a hang or crash was found (for --keep-wedged)
  detect::ServerSilence server_silence_;  // did the host's server answer the guest
  std::optional<FaultDriver> fault_driver_;
  double workload_start_s_ = 0;
  bool workload_started_ = false;
  GuestSession* session_ = nullptr;
  storage::InUse in_use_;  // where the storage is in the guest
  const workloads::WorkloadEntry& workload_ = workloads::workload_entry(scenario_.workload.kind);
  bool balloon_applied_ = false;  // [memory] balloon_mib, once balloon_at_s passed
  std::string phase_ = "start";
  HostWatch host_watch_;
  std::optional<std::string> host_failure_;  // the host failed: an infra error with this reason
  std::optional<std::string> channel_lost_;  // the agent channel's error once it closed
  double last_slow_probe_s_ = -1;            // server and disk are looked at once a second
  double last_host_sample_s_ = -1;
  std::optional<std::string> server_problem_;
  std::optional<std::string> disk_problem_;
  std::optional<RunLease> lease_;
};

// [memory] caps, or a memory-max fault, squeeze the workload's cgroup.
bool needs_cgroup(const config::Scenario& s) {
  for (const auto& f : s.faults) {
    if (f.kind == config::FaultKind::kMemoryMax) return true;
  }
  return s.memory.wants_cgroup();
}

Result<std::vector<std::string>> Runner::workload_argv() const {
  WEDGE_TRY(std::vector<std::string> argv, workload_.argv(scenario_, in_use_));
  // The workload runs in its own cgroup so that memory caps and memory-max faults squeeze it
  // alone; the agent joins the cgroup and execs it (no shell).
  if (needs_cgroup(scenario_)) argv = workloads::in_cgroup(argv);
  return argv;
}

// Memory caps and sysctls, all applied before the workload starts.
Status Runner::prepare_workload(storage::GuestOps& guest) {
  auto& r = result_.report;
  if (needs_cgroup(scenario_)) {
    WEDGE_CHECK(workloads::make_workload_cgroup(guest, scenario_.memory)
                    .context("creating the workload cgroup"));
    r.cgroup.used = true;
    r.cgroup.max_mib = scenario_.memory.max_mib;
    r.cgroup.high_mib = scenario_.memory.high_mib;
    r.cgroup.swap_max_mib = scenario_.memory.swap_max_mib;
  }
  WEDGE_TRY(r.sysctl, workloads::apply_sysctls(guest, scenario_.sysctl).context("[sysctl]"));
  return ok_status();
}

// memory.events and the peak usage of the workload cgroup, while the agent still answers.
void Runner::read_cgroup_numbers(GuestSession& session) {
  auto& cg = result_.report.cgroup;
  if (!cg.used || now_s() - session.last_heartbeat_s() > 3) return;
  std::string dir = workloads::kCgroupDir;
  if (auto events = session.read_guest_file(dir + "/memory.events", 4096, 5s)) {
    cg.events = workloads::parse_memory_events(*events);
  }
  if (auto peak = session.read_guest_file(dir + "/memory.peak", 64, 5s)) {
    cg.current_peak_mib = static_cast<double>(std::strtoull(peak->c_str(), nullptr, 10)) / 1048576;
  }
}

// From now on samples.jsonl carries the workload cgroup's memory.* and the storage device's
// inflight and stat. A file that cannot be watched (no swap accounting) is only logged.
void Runner::watch_guest_counters(GuestSession& session) {
  auto paths =
      agent::watched_paths(result_.report.cgroup.used ? workloads::kCgroupDir : "", in_use_.device);
  if (paths.empty()) return;
  if (Status s = session.watch_guest_files(paths, 10s); !s) {
    progress_.step("not sampled: " + s.error().message());
  }
}

// The workload's own result file (fio's JSON), once it has exited and while the agent answers.
void Runner::read_workload_result(GuestSession& session) {
  auto& g = result_.report.guest;
  if (!workload_.result_file || !workload_.parse_result || !g.workload_exit_code) return;
  if (now_s() - session.last_heartbeat_s() > 3) return;
  auto text = session.read_guest_file(workload_.result_file, workloads::kResultFileMaxBytes, 10s);
  if (!text) {
    progress_.step(
        fmt::format("workload result {}: {}", workload_.result_file, text.error().message()));
    return;
  }
  g.workload_result = workload_.parse_result(*text);
}

Status Runner::prepare_run_dir() {
  auto& r = result_.report;
  fs::path dir = options_.out_dir;
  if (dir.empty()) {
    DefaultRoot root = default_output_root("wedge-runs");
    if (!root.note.empty()) progress_.step(root.note);
    dir = root.path / r.run_id;
  }
  WEDGE_TRY(result_.run_dir, make_run_dir(dir, options_.force));
  WEDGE_CHECK(write_file_atomic(result_.run_dir / "scenario.toml", config::to_toml(scenario_)));
  // What teardown removes, recorded so that `wedge gc` removes it if this wedge is killed.
  std::vector<std::string> transient = {"agent.sock", "agent.gate-in.sock", "agent.gate-out.sock",
                                        "initrd-with-extras.cpio"};
  if (!options_.keep_export) transient.push_back("export.img");
  WEDGE_TRY(lease_, RunLease::take(default_state_dir(), r.run_id, result_.run_dir, transient,
                                   "wedge-" + r.run_id));
  return ok_status();
}

void Runner::monitor(GuestSession& session, uint32_t workload_job, detect::Detector& detector) {
  auto deadline = run_start_ + std::chrono::seconds(scenario_.limits.duration_s);
  double last_status = -1;
  double last_turn = now_s();
  // The loop itself must keep turning: one turn that took this long is worth a host event
  // (nothing in it waits on the guest; libvirt or a loaded host can still hold it up).
  const double slow_turn_s = std::chrono::duration<double>(timeouts_.heartbeat_lost()).count();
  while (!detector.done()) {
    Pumped p = session.pump();
    double now = now_s();
    if (now - last_turn >= slow_turn_s) {
      note_host_event(fmt::format("{:.1f} s: wedge's monitor loop did not turn for {:.1f} s", now,
                                  now - last_turn));
    }
    last_turn = now;
    sample_host(now, detector);
    for (uint32_t job : p.exited_jobs) {
      if (job != workload_job) continue;
      const JobState& js = session.job(job);
      result_.report.guest.workload_exit_code = js.exit_code;
      result_.report.guest.workload_signal = js.signal;
      if (!js.output.empty() && js.spawn_failed)
        progress_.step("workload failed to start: " + js.output);
      detector.on_workload_exit(js.exit_code, js.signal, monitor_->numbers().verify_failed, now);
    }
    if (p.channel_error && !channel_lost_) channel_lost_ = *p.channel_error;
    if (host_failed(now, &detector)) break;
    step_faults(now, detector);
    detector.tick(now);
    collect_pending_traces(session, detector);
    last_turn = now_s();  // collecting traces takes its time on purpose
    if (interrupted()) break;
    if (std::chrono::steady_clock::now() >= deadline && !detector.done()) {
      result_.report.infra_error.clear();
      detector.on_deadline(now);
    }
    if (now - last_status >= 1) {
      last_status = now;
      observe_servers(now);
      const LiveNumbers& n = monitor_->numbers();
      append_progress_record(result_.run_dir, now, n.workload_reported ? &n.workload : nullptr,
                             res_.transport->servers());
      const agent::Measure& w = n.workload;
      std::string workload =
          !n.workload_reported
              ? fmt::format("{} running", config::name_of(scenario_.workload.kind))
              : fmt::format("{} {}/{} {}{}", config::name_of(scenario_.workload.kind), w.done,
                            w.total, w.unit, w.phase.empty() ? "" : " " + w.phase);
      progress_.status(fmt::format(
          "{} | Dirty {:.0f} MiB Writeback {:.0f} MiB | swap used {:.0f} MiB (peak {:.0f}) | "
          "pswpout {} | MemFree {:.0f} "
          "MiB | heartbeat {:.1f} s ago{}",
          workload, n.dirty_mib, n.writeback_mib, n.swap_used_mib, n.guest.swap_peak_mib,
          n.guest.pswpout, n.memfree_mib, now - session.last_heartbeat_s(),
          n.console.flooding() ? fmt::format(" | console flood ({:.0f} MiB so far)",
                                             n.console.total_bytes() / 1048576.0)
                               : ""));
    }
    std::this_thread::sleep_for(100ms);
  }
  progress_.finish_status();
  read_cgroup_numbers(session);
  read_workload_result(session);
  stop_all_faults(now_s());
  if (interrupted() || host_failure_) return;
  wait_for_spinning_cpu_report(session, detector);
  // The workload may have died from an oops whose report is the console's last output: give
  // the rest of it a moment to arrive, then close the console stream before the verdict.
  for (int i = 0; i < 10; ++i) {
    (void)session.pump();
    std::this_thread::sleep_for(100ms);
  }
  (void)session.finish_console();
  collect_pending_traces(session, detector);
}

void Runner::note_host_event(const std::string& event) {
  result_.report.host_events.push_back(event);
  progress_.finish_status();
  progress_.step("host: " + event);
}

bool Runner::host_failed(double now, detect::Detector* detector) {
  HostSnapshot s;
  if (auto status = res_.vm->status(); status) {
    s.domain = *status;
  } else {
    s.domain_error = status.error().message();
  }
  s.channel_lost = channel_lost_;
  s.qemu_pid = res_.vm->qemu_pid();
  s.qemu_state = process_state_or_zero(s.qemu_pid);
  if (now - last_slow_probe_s_ >= 1) {
    last_slow_probe_s_ = now;
    server_problem_.reset();
    if (res_.transport && !server_fault_in_effect(result_.report.faults, now)) {
      if (auto stopped = stopped_child_process()) {
        server_problem_ = fmt::format(
            "{}, started by this run, was stopped from outside (SIGSTOP?) while no fault was "
            "scheduled",
            *stopped);
      }
      for (storage::Server* server : res_.transport->servers()) {
        if (server_problem_ || server->healthy()) continue;
        std::string ended = server->exit_description();
        std::string log = storage::log_tail(server->log_path(), 3);
        server_problem_ = fmt::format(
            "the storage server {} stopped serving ({}) while no fault was scheduled{}",
            server->describe(), ended.empty() ? "its port closed" : "its process: " + ended,
            log.empty() ? "; its log is empty" : "; its log ends with: " + log);
      }
    }
    disk_problem_ =
        session_ ? disk_problem(result_.run_dir, session_->log_errno(), session_->log_status())
                 : disk_problem(result_.run_dir, 0, ok_status());
  }
  s.server_problem = server_problem_;
  s.disk_problem = disk_problem_;
  HostVerdict verdict = host_watch_.observe(s, now);
  for (const auto& event : host_watch_.take_events()) note_host_event(event);
  if (verdict.kind == HostVerdict::kGuestStopped && detector != nullptr) {
    detector->on_domain_gone(verdict.reason, now);
    return false;
  }
  if (verdict.kind != HostVerdict::kInfra) return false;
  host_failure_ = verdict.reason;
  progress_.finish_status();
  progress_.step("host failure: " + verdict.reason);
  return true;
}

void Runner::sample_host(double now, detect::Detector& detector) {
  if (last_host_sample_s_ >= 0 && now - last_host_sample_s_ < 0.5) return;
  last_host_sample_s_ = now;
  detect::HostSample h;
  if (auto cpu = read_qemu_cpu(res_.vm->qemu_pid())) {
    h.qemu_cpu_s = cpu->cpu_s;
    if (cpu->wait_known) h.qemu_wait_s = cpu->wait_s;
    if (cpu->vcpus > 0) {
      h.vcpu_cpu_s = cpu->vcpu_cpu_s;
      h.vcpus = cpu->vcpus;
    }
  }
  if (res_.transport && !res_.transport->servers().empty()) {
    uint64_t in = 0, out = 0;
    for (storage::Server* server : res_.transport->servers()) {
      storage::ServerStats stats = server->stats();
      in += stats.bytes_from_guest;
      out += stats.bytes_to_guest;
    }
    h.server_bytes_in = in;
    h.server_bytes_out = out;
  }
  detector.on_host(h, now);
}

void Runner::reap_leftovers() {
  ReapOptions o;
  o.backend = res_.backend.get();
  o.cache_dirs = image_cache_temp_parents(options_.cache_dir);
  Reaped reaped = run::reap_leftovers(o);
  for (const auto& line : reaped.removed) note_host_event("removed leftover " + line);
  for (const auto& line : reaped.problems) note_host_event("could not remove leftover: " + line);
}

Status Runner::prepare_faults(GuestSession& session) {
  session_ = &session;
  if (scenario_.faults.empty()) return ok_status();
  faults::InjectorTargets targets;
  targets.servers = res_.transport->servers();
  targets.restart_timeout = timeouts_.server_start;
  vm::Instance* vm = res_.vm.get();
  targets.set_balloon_mib = [vm](int mib) { return vm->set_balloon_mib(mib); };
  targets.guest_memory_mib = scenario_.guest.memory_mib;
  targets.set_memory_max = [this](std::optional<int> mib) -> Status {
    std::string value = mib ? std::to_string(static_cast<long long>(*mib) << 20) : "max";
    return session_->write_guest_file(std::string(workloads::kCgroupDir) + "/memory.max", value,
                                      10s);
  };
  fault_driver_.emplace(scenario_.faults, progress_, result_.report.faults);
  return fault_driver_->prepare(targets, result_.run_dir / "faults.jsonl");
}

void Runner::step_faults(double now, detect::Detector& detector) {
  const config::MemoryConfig& m = scenario_.memory;
  if (m.balloon_mib > 0 && !balloon_applied_ && now - workload_start_s_ >= m.balloon_at_s) {
    // A scenario setting, not a fault: the guest stays squeezed, and hangs are not forgiven.
    balloon_applied_ = true;
    Status s = res_.vm->set_balloon_mib(m.balloon_mib);
    result_.report.faults.push_back(
        {"balloon-setting", now, std::nullopt, s ? "" : s.error().message()});
    progress_.step(s ? fmt::format("[memory] balloon: guest squeezed to {} MiB", m.balloon_mib)
                     : "[memory] balloon failed: " + s.error().message());
  }
  if (fault_driver_) {
    fault_driver_->step(now, now - workload_start_s_, monitor_->numbers(), detector);
  }
}

void Runner::stop_all_faults(double now) {
  if (fault_driver_) fault_driver_->stop_all(now);
}

void Runner::observe_servers(double now) {
  std::vector<storage::Server*> servers = res_.transport->servers();
  if (servers.empty()) return;
  storage::ServerStats sum;
  for (const storage::Server* server : servers) {
    storage::ServerStats one = server->stats();
    sum.bytes_from_guest += one.bytes_from_guest;
    sum.bytes_to_guest += one.bytes_to_guest;
  }
  server_silence_.observe(now, sum.bytes_from_guest, sum.bytes_to_guest);
}

void Runner::wait_for_spinning_cpu_report(GuestSession& session, detect::Detector& detector) {
  std::optional<double> hang_s = detect::awaits_spinning_cpu_report(detector.findings());
  if (!hang_s) return;
  std::chrono::duration<double> wait = timeouts_.spinning_cpu_report();
  progress_.step(fmt::format("hang waits for RCU or a CPU: up to {:.0f} s for the CPU's report",
                             *hang_s + wait.count() - now_s()));
  while (now_s() < *hang_s + wait.count() && !interrupted() &&
         detect::awaits_spinning_cpu_report(detector.findings())) {
    (void)session.pump();
    std::this_thread::sleep_for(100ms);
  }
}

void Runner::collect_pending_traces(GuestSession& session, detect::Detector& detector) {
  const std::string outer_phase = phase_;
  while (auto index = detector.take_trace_request()) {
    if (interrupted()) break;
    enter("traces");
    // A copy: collecting traces pumps the guest, and new findings may move the vector.
    const reports::Finding f = detector.findings()[*index];
    progress_.finish_status();
    progress_.step(fmt::format("{}: {} - collecting traces", f.kind, f.title));
    TraceOptions to;
    to.agent_alive = now_s() - session.last_heartbeat_s() < 3;
    to.crash = f.kind == "crash";
    to.memory_dump = options_.memory_dump;
    to.nmi_last_resort = options_.nmi_last_resort;
    TraceCollector collector(session, *res_.vm, result_.run_dir, [this] { return now_s(); });
    TraceResult tr = collector.collect(*index, to, [&] { detector.expect_nmi_panic(); });
    // One title builder for live runs and `wedge analyze` (detect/hang_title.h): the cause
    // (a vCPU stuck in one function, a task the others wait on, a silent server) names the
    // hang; a hang found by silence without one is named by its biggest group of waiters.
    detect::HangEvidence evidence;
    evidence.stacks = detect::report_stacks(tr.tasks);
    evidence.stuck_function = tr.stuck_function;
    evidence.busy_function = tr.busy_function;
    std::chrono::duration<double> server_silent = timeouts_.server_silent;
    if (server_silence_.silent_with_requests_s(f.detected_s.value_or(now_s())) >=
        server_silent.count()) {
      evidence.silent_server = config::name_of(scenario_.storage.transport);
    }
    detect::HangTitle title = detect::hang_title_after_traces(f, evidence);
    std::vector<reports::StackGroup> stacks = std::move(evidence.stacks);
    if (!title.subkind.empty()) tr.subkind = title.subkind;
    detector.attach_traces(*index, now_s(), tr.routes, stacks, tr.subkind, title.title);
    for (const auto& problem : tr.problems) progress_.step("  trace route failed: " + problem);
    progress_.step(
        fmt::format("traces in {} via {} ({} tasks{})", tr.dir.string(),
                    tr.routes.empty() ? "no route" : fmt::format("{}", fmt::join(tr.routes, ", ")),
                    tr.tasks.size(), tr.subkind.empty() ? "" : ", " + tr.subkind));
    wedged_ = true;
  }
  if (!interrupted()) phase_ = outer_phase;  // an interrupted collection reports "traces"
}

Status Runner::boot_and_run() {
  auto& r = result_.report;
  // Image.
  image::ImageRequest req;
  req.kernel = scenario_.guest.kernel;
  req.modules_dir = scenario_.guest.modules;
  req.agent_binary = image::default_agent_path();
  req.cache_dir = options_.cache_dir;
  res_.transport = storage::make_transport(scenario_);
  storage::ImageNeeds needs = storage_image_needs(scenario_, *res_.transport);
  if (workload_.image_needs) needs.add(workload_.image_needs(scenario_));
  needs.add({{}, {}, {}, scenario_.guest.packages});  // after the workload's own
  apply_image_needs(needs, req);
  progress_.step("preparing guest image");
  enter("image build");
  auto img = image::build_image(req, [&](const std::string& m) { progress_.step("  " + m); });
  if (!img) return img.error().context("building the guest image");
  if (interrupted()) return interruption_error();
  // Names for vCPU instruction pointers even when the agent is dead (a hard lockup).
  enter("debug symbols download");
  fs::path system_map = fetch_system_map(*img, options_.cache_dir,
                                         [&](const std::string& m) { progress_.step("  " + m); });
  if (interrupted()) return interruption_error();
  r.kernel_release = img->kernel_release;
  r.kernel_path = img->kernel.string();
  r.kernel_source = scenario_.guest.kernel;
  r.image_hash = img->hash;
  r.initrd_bytes = img->initrd_bytes;
  r.pinned_bytes = img->pinned_bytes;
  fs::path initrd = img->initrd;
  std::vector<fs::path> host_files = scenario_.workload.files;
  if (workload_.host_files) {
    for (const fs::path& f : workload_.host_files(scenario_)) host_files.push_back(f);
  }
  if (!host_files.empty()) {
    std::vector<image::ExtraFile> extras;
    for (const auto& f : host_files) extras.push_back({f, "/extra/" + f.filename().string()});
    initrd = result_.run_dir / "initrd-with-extras.cpio";
    WEDGE_CHECK(image::write_initrd_with_extras(img->initrd, extras, initrd)
                    .context("adding workload files to the initrd"));
  }

  // Hypervisor.
  enter("libvirt connection");
  WEDGE_TRY(res_.backend, vm::LibvirtBackend::connect().context("connecting to libvirt"));
  r.qemu_version = res_.backend->qemu_version();
  r.libvirt_version = res_.backend->libvirt_version();
  reap_leftovers();
  enter("kvm probe");
  WEDGE_TRY(bool kvm,
            choose_accel(options_.accel, *res_.backend, *img, options_.cache_dir, progress_));
  if (interrupted()) return interruption_error();
  r.accel = kvm ? "kvm" : "tcg";
  timeouts_ = Timeouts::for_accel(!kvm);
  enter("storage start");

  // Storage: the transport's host side (servers on per-run ports, export files, folders).
  progress_.step(fmt::format("starting the {} host side ({} MiB)",
                             config::name_of(scenario_.storage.transport),
                             scenario_.storage.size_mib));
  storage::TransportContext context{&scenario_, result_.run_dir, timeouts_};
  WEDGE_CHECK(res_.transport->start_host(context).context(
      fmt::format("starting the {} host side", config::name_of(scenario_.storage.transport))));
  r.server.name = res_.transport->describe();
  if (!options_.keep_export) {
    std::vector<std::string> exported;
    for (const fs::path& p : res_.transport->exports()) {
      if (p.parent_path() == result_.run_dir) exported.push_back(p.filename().string());
    }
    if (auto s = lease_->add_files(exported); !s) note_host_event(s.error().message());
  }

  // Guest.
  vm::VmSpec spec;
  spec.name = "wedge-" + r.run_id;
  spec.memory_mib = scenario_.guest.memory_mib;
  spec.vcpus = scenario_.guest.vcpus;
  spec.kvm = kvm;
  spec.kernel = img->kernel;
  spec.initrd = initrd;
  spec.cmdline =
      "console=ttyS0 loglevel=7 panic=0 net.ifnames=0 sysctl.kernel.hung_task_timeout_secs=10 "
      "sysctl.kernel.hung_task_warnings=-1 sysctl.kernel.sysrq=1";
  if (options_.nmi_last_resort) {
    // An NMI then panics the guest and prints every task (panic_print bit 0).
    spec.cmdline += " sysctl.kernel.unknown_nmi_panic=1 sysctl.kernel.panic_print=1";
  }
  spec.keep_after_exit = options_.keep_wedged;
  res_.transport->adjust_vm(spec);
  // Built-in drivers take their parameters here ("nbd.nbds_max=4"); modules, from modprobe.
  if (std::string params = storage::driver_cmdline(needs.drivers); !params.empty()) {
    spec.cmdline += " " + params;
  }
  if (!scenario_.guest.cmdline.empty()) spec.cmdline += " " + scenario_.guest.cmdline;
  spec.console_log = result_.run_dir / "console.log";
  WEDGE_TRY(spec.agent_socket, agent_socket_path(result_.run_dir, socket_link_));
  spec.owner = self_owner().to_string();
  if (interrupted()) return interruption_error();
  enter("boot");
  progress_.step(fmt::format("booting {} ({} MiB, {} vCPU, {})", spec.name, spec.memory_mib,
                             spec.vcpus, r.accel));
  t0_ = std::chrono::steady_clock::now();
  WEDGE_TRY(res_.vm, res_.backend->start(spec).context("starting the guest"));

  detector_.emplace(detect::DetectorConfig{
      .stall_s = static_cast<double>(scenario_.limits.stall_s) * timeouts_.scale,
      .heartbeat_lost_s = std::chrono::duration<double>(timeouts_.heartbeat_lost()).count() * 2,
      .oom_ok = scenario_.limits.oom_ok,
      .recover = scenario_.limits.recover,
      .deadlock_confirm_s = std::chrono::duration<double>(timeouts_.deadlock_confirm).count(),
      .starved_window_s = std::chrono::duration<double>(timeouts_.starved_window).count(),
      .clock_lag_s = std::chrono::duration<double>(timeouts_.guest_clock_lag()).count()});
  monitor_.emplace(&*detector_, &workload_);
  GuestSession session(
      *res_.vm, result_.run_dir, [this] { return now_s(); },
      [this](const Pumped& p) {
        monitor_->absorb(p, now_s());
        // Faults keep their schedule even while a trace collection waits on the guest.
        if (workload_started_) step_faults(now_s(), *detector_);
      });
  session_ = &session;
  // However boot_and_run ends, the logs are closed and their cuts recorded.
  struct SessionEnd {
    Runner* runner;
    GuestSession* session;
    ~SessionEnd() { runner->record_logs(*session); }
  } session_end{this, &session};
  session.use_system_map(system_map);
  auto hello = session.wait_for_hello(timeouts_.boot());
  if (!hello && interrupted()) return hello.error();
  // A guest that QEMU's death, libvirt or a full disk took away never failed to boot.
  if (!hello && host_failed(now_s(), nullptr)) return hello.error().context(*host_failure_);
  if (!hello) {
    boot_failed_ = true;
    auto console = read_file(spec.console_log);
    auto events = console::parse_events(console.ok() ? *console : "");
    std::string why = hello.error().message();
    for (const auto& e : events) {
      if (e.kind == console::EventKind::kPanic) why = e.title;
    }
    boot_failure_ = why;
    progress_.step("boot failed: " + why + "; console ends with:" + "\n" +
                   storage::log_tail(spec.console_log, 8));
    return ok_status();
  }
  r.boot_s = now_s();
  r.agent_rss_kb = hello->rss_kb;
  r.agent_memlocked_kb = hello->memlocked_kb;
  progress_.step(fmt::format("guest ready in {:.1f} s: kernel {}, agent RSS {} KiB (locked {} KiB)",
                             r.boot_s, hello->kernel_release, hello->rss_kb, hello->memlocked_kb));

  enter("guest setup");
  {
    SessionGuestOps guest(session, progress_, timeouts_);
    const char* transport = config::name_of(scenario_.storage.transport);
    auto attached = res_.transport->attach(guest);
    if (!attached) {
      return attached.error().context(fmt::format("attaching {} storage in the guest", transport));
    }
    auto in_use = storage::put_to_use(guest, *attached, scenario_.storage);
    if (!in_use) {
      return in_use.error().context(
          fmt::format("using {} storage as {}", transport, config::name_of(scenario_.storage.use)));
    }
    in_use_ = *in_use;
    detector_->absorb_io_errors_on(res_.transport->redundant_devices());
    WEDGE_CHECK(prepare_workload(guest));
  }
  watch_guest_counters(session);
  WEDGE_TRY(std::vector<std::string> argv, workload_argv());
  progress_.step(fmt::format("workload: {}", fmt::join(argv, " ")));
  WEDGE_CHECK(prepare_faults(session).context("preparing faults"));
  enter("workload");
  WEDGE_TRY(uint32_t job, session.start_job("workload", argv));
  detector_->arm(now_s(), workload_.parse_progress != nullptr);
  workload_start_s_ = now_s();
  workload_started_ = true;
  monitor(session, job, *detector_);
  return ok_status();
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
  session_ = nullptr;
}

void Runner::teardown() {
  auto& r = result_.report;
  enter("teardown");
  if (res_.vm && options_.keep_wedged && wedged_) {
    res_.vm->release();
    progress_.step(fmt::format(
        "--keep-wedged: {} is still running. Console: telnet 127.0.0.1 {} (or virsh -c "
        "qemu:///system console {}); monitor: virsh -c qemu:///system qemu-monitor-command --hmp "
        "{} 'info registers -a'; when done: virsh -c qemu:///system destroy {}",
        res_.vm->name(), res_.vm->serial_port(), res_.vm->name(), res_.vm->name(),
        res_.vm->name()));
  } else if (res_.vm) {
    if (auto s = res_.vm->destroy(); !s) {
      note_host_event(s.error().context("destroying the guest").message());
      if (r.infra_error.empty())
        r.infra_error = s.error().context("destroying the guest").message();
    }
  }
  if (res_.vm) {
    vm::NetworkStats net = res_.vm->network_stats();
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
  if (res_.transport && !options_.keep_export) exports = res_.transport->exports();
  res_.vm.reset();
  res_.transport.reset();
  res_.backend.reset();
  if (!result_.run_dir.empty()) {
    std::error_code ec;
    for (const fs::path& p : exports) fs::remove_all(p, ec);
    for (const char* name :
         {"agent.sock", "agent.gate-in.sock", "agent.gate-out.sock", "initrd-with-extras.cpio"}) {
      fs::remove(result_.run_dir / name, ec);
    }
  }
}

RunResult Runner::run() {
  auto& r = result_.report;
  r.run_id = make_run_id();
  r.scenario = scenario_.name;
  r.scenario_file = scenario_.source.string();
  r.wedge_version = WEDGE_VERSION;
  r.workload_kind = config::name_of(scenario_.workload.kind);
  r.timeout_is_failure = scenario_.limits.timeout_is_failure;
  r.started_at = utc_now("%Y-%m-%dT%H:%M:%SZ");
  run_start_ = std::chrono::steady_clock::now();
  Status status = prepare_run_dir();
  if (!status) {
    r.verdict = Verdict::kInfraError;
    r.infra_error = status.error().message();
    r.reason = r.infra_error;
    return result_;  // nowhere to write a report
  }
  progress_.step(fmt::format("run {} -> {}", r.run_id, result_.run_dir.string()));
  status = boot_and_run();
  const bool was_interrupted = interrupted();
  const std::string interrupted_phase = phase_;
  teardown();
  r.run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start_).count();

  if (was_interrupted) {
    // Whatever was found so far stays in the report, but the kernel was not tested through.
    r.verdict = Verdict::kInfraError;
    r.interrupted = reports::InterruptRecord{interrupt_signal_name(), interrupted_phase};
    r.infra_error =
        fmt::format("interrupted by {} during {}", interrupt_signal_name(), interrupted_phase);
    r.reason = r.infra_error;
  } else if (host_failure_) {
    r.verdict = Verdict::kInfraError;
    r.infra_error = *host_failure_;
    r.reason = r.infra_error;
  } else if (!status) {
    r.verdict = Verdict::kInfraError;
    r.infra_error = status.error().message();
    // A kernel failure seen while we were setting up still counts against the kernel.
    if (detector_ && !detector_->findings().empty() &&
        detector_->verdict() != Verdict::kInfraError &&
        detector_->verdict() != Verdict::kWorkloadFailed) {
      r.verdict = detector_->verdict();
    }
  } else if (boot_failed_) {
    r.verdict = Verdict::kBootFailure;
    reports::Finding boot;
    boot.kind = "boot_failure";
    boot.title = boot_failure_;
    boot.detected_s = r.run_s;
    boot.evidence = "no agent hello";
    r.findings.push_back(boot);
    r.reason = boot_failure_;
    r.infra_error.clear();
  } else {
    r.verdict = detector_->verdict();
    // The run ended without a verdict on the kernel: never an infra error without a reason.
    if (r.verdict == Verdict::kInfraError) r.infra_error = detector_->reason();
    // I/O errors (or worse) in a guest whose storage sat on a full host disk are the host's.
    auto disk = disk_problem(result_.run_dir, 0, ok_status());
    if (disk && r.verdict != Verdict::kPass && r.verdict != Verdict::kInfraError) {
      r.verdict = Verdict::kInfraError;
      r.infra_error = fmt::format("{}; the guest's {} follows from it", *disk,
                                  reports::to_string(detector_->verdict()));
      r.reason = r.infra_error;
    }
  }
  if (detector_) {
    for (const auto& f : detector_->findings()) r.findings.push_back(f);
    for (const auto& st : detector_->stalls()) {
      r.stalls.push_back({st.start_s, st.duration_s, st.during_fault});
    }
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
  if (r.reason.empty())
    r.reason = r.verdict == Verdict::kInfraError ? r.infra_error : detector_->reason();
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

RunResult run_scenario(const config::Scenario& scenario, const RunOptions& options) {
  Runner runner(scenario, options);
  return runner.run();
}

}  // namespace wedge::run
