// Implementation of guest_session.h.
#include "harness/run/guest_session.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/util/interrupt.h"
#include "harness/util/text.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

GuestSession::GuestSession(vm::Instance& vm, fs::path run_dir, Clock clock, Observer observer,
                           const LogCaps& caps)
    : vm_(vm),
      run_dir_(std::move(run_dir)),
      clock_(std::move(clock)),
      observer_(std::move(observer)),
      events_log_(run_dir_ / "events.jsonl", caps.events),
      samples_log_(run_dir_ / "samples.jsonl", caps.samples),
      workload_log_(run_dir_ / "workload.log", caps.workload),
      setup_log_(run_dir_ / "setup.log", caps.setup),
      agent_log_(run_dir_ / "agent.log", caps.agent),
      symbols_(
          encoder_, [this] { return next_request_++; },
          [this](const std::string& frame) { return send(frame); }, [this] { return clock_(); },
          [this](const std::string& line) { log_event(line); }) {}

void GuestSession::log_event(const std::string& json_line) { events_log_.append(json_line + "\n"); }

uint64_t GuestSession::new_request() {
  uint64_t id = next_request_++;
  outstanding_.insert(id);
  // Requests that timed out stay outstanding (a late answer is still taken); keep the newest.
  while (outstanding_.size() > kMaxOutstanding) outstanding_.erase(outstanding_.begin());
  return id;
}

bool GuestSession::expected(uint64_t request) {
  if (outstanding_.count(request) != 0) return true;
  ignored_replies_++;
  return false;
}

const Status& GuestSession::log_status() const {
  for (const CappedLog* log : logs()) {
    if (!log->status()) return log->status();
  }
  return events_log_.status();
}

int GuestSession::log_errno() const {
  for (const CappedLog* log : logs()) {
    if (log->error_number() != 0) return log->error_number();
  }
  return 0;
}

std::vector<const CappedLog*> GuestSession::logs() const {
  return {&events_log_, &samples_log_, &workload_log_, &setup_log_, &agent_log_};
}

void GuestSession::close_logs() {
  for (CappedLog* log : {&events_log_, &samples_log_, &workload_log_, &setup_log_, &agent_log_}) {
    log->close();
  }
}

void GuestSession::record(const std::vector<console::Event>& events, double now) {
  remember(events);
  for (const auto& e : events) {
    nlohmann::json j = {{"t_s", now},
                        {"source", "console"},
                        {"kind", console::to_string(e.kind)},
                        {"title", e.title},
                        {"line", e.line}};
    if (e.timestamp_s) j["printk_s"] = *e.timestamp_s;
    log_event(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

Pumped GuestSession::pump() {
  Pumped out;
  double now = clock_();
  if (auto console = vm_.read_console(); console.ok() && !console->empty()) {
    out.console_bytes = console->size();
    out.console_events = scanner_.feed(*console);
    last_console_s_ = now;
    record(out.console_events, now);
  } else if (scanner_.has_open_report() &&
             now - last_console_s_ >= in_seconds(Timeouts{}.console_report_quiet)) {
    out.console_events = scanner_.complete_open_reports();
    record(out.console_events, now);
  }
  auto bytes = vm_.read_agent();
  if (!bytes.ok()) {
    out.channel_error = bytes.error().message();
  } else if (!bytes->empty()) {
    decoder_.feed(*bytes);
    while (auto message = decoder_.next()) handle(*message, &out);
  }
  if (observer_) observer_(out);
  return out;
}

void GuestSession::handle(const agent::Message& message, Pumped* out) {
  double now = clock_();
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, agent::Hello>) {
          if (!hello_) {
            log_event(nlohmann::json({{"t_s", now},
                                      {"source", "agent"},
                                      {"kind", "hello"},
                                      {"kernel", m.kernel_release},
                                      {"rss_kb", m.rss_kb}})
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          }
          hello_ = m;
          symbols_.on_hello();
        } else if constexpr (std::is_same_v<T, agent::Heartbeat>) {
          last_heartbeat_s_ = now;
          out->heartbeats++;
        } else if constexpr (std::is_same_v<T, agent::Sample>) {
          agent::MemSnapshot snap = agent::parse_sample(m);
          samples_log_.append(
              fmt::format("{{\"t_s\":{:.3f},\"sample\":{}}}\n", now, agent::to_json_line(snap)));
          out->samples.push_back(snap);
          symbols_.on_sample(m);
        } else if constexpr (std::is_same_v<T, agent::Started>) {
          if (auto it = jobs_.find(m.job); it != jobs_.end()) {
            it->second.started = true;
            it->second.pid = static_cast<int>(m.pid);
          }
        } else if constexpr (std::is_same_v<T, agent::Output>) {
          auto it = jobs_.find(m.job);
          if (it == jobs_.end()) return;
          (it->second.name == "workload" ? workload_log_ : setup_log_).append(m.data);
          if (it->second.output.size() < 64 * 1024) it->second.output += m.data;
          std::string& partial = partial_lines_[m.job];
          partial += m.data;
          size_t nl;
          while ((nl = partial.find('\n')) != std::string::npos) {
            out->output_lines.emplace_back(m.job, partial.substr(0, nl));
            partial.erase(0, nl + 1);
          }
          if (partial.size() > 4096) partial.clear();
        } else if constexpr (std::is_same_v<T, agent::Exited>) {
          auto it = jobs_.find(m.job);
          if (it == jobs_.end()) return;
          it->second.exited = true;
          it->second.exit_code = m.exit_code;
          it->second.signal = m.signal;
          log_event(nlohmann::json({{"t_s", now},
                                    {"source", "agent"},
                                    {"kind", "job_exit"},
                                    {"job", it->second.name},
                                    {"exit_code", m.exit_code},
                                    {"signal", m.signal}})
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        } else if constexpr (std::is_same_v<T, agent::Failed>) {
          if (symbols_.on_failed(m)) return;
          if (auto it = jobs_.find(m.job); m.job != 0 && it != jobs_.end()) {
            it->second.spawn_failed = true;
            it->second.exited = true;
            it->second.exit_code = 127;
            it->second.output += m.text;
          }
          if (!expected(m.request)) return;
          done_requests_[m.request] = true;
          failed_requests_[m.request] = m.text.substr(0, 4096);
        } else if constexpr (std::is_same_v<T, agent::Done>) {
          if (expected(m.request)) done_requests_[m.request] = true;
        } else if constexpr (std::is_same_v<T, agent::Task>) {
          if (expected(m.request) && tasks_[m.request].size() < kMaxTasks) {
            tasks_[m.request].push_back(m);
          }
        } else if constexpr (std::is_same_v<T, agent::File>) {
          if (symbols_.on_file(m)) return;
          if (!expected(m.request)) return;
          files_[m.request] = m;
          done_requests_[m.request] = true;
        } else if constexpr (std::is_same_v<T, agent::Log>) {
          agent_log_.append(m.text + "\n");
        }
      },
      message);
}

void GuestSession::remember(const std::vector<console::Event>& events) {
  recent_events_.insert(recent_events_.end(), events.begin(), events.end());
  if (recent_events_.size() > 8000) {
    recent_events_.erase(recent_events_.begin(), recent_events_.end() - 4000);
  }
}

std::vector<console::Event> GuestSession::console_events_after(int line) const {
  std::vector<console::Event> out;
  for (const auto& e : recent_events_) {
    if (e.line > line) out.push_back(e);
  }
  return out;
}

Pumped GuestSession::finish_console() {
  Pumped out;
  if (auto console = vm_.read_console(); console.ok() && !console->empty()) {
    out.console_bytes = console->size();
    out.console_events = scanner_.feed(*console);
  }
  for (auto& e : scanner_.finish()) out.console_events.push_back(std::move(e));
  record(out.console_events, clock_());
  if (observer_) observer_(out);
  return out;
}

Result<bool> GuestSession::pump_until(const std::function<bool()>& done,
                                      std::chrono::milliseconds timeout, bool interruptible,
                                      std::chrono::milliseconds poll) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    Pumped p = pump();
    if (p.channel_error) return Error(*p.channel_error);
    if (interruptible && interrupted()) return interruption_error();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

Status GuestSession::wait_request(uint64_t request, std::chrono::milliseconds timeout,
                                  const std::string& what) {
  WEDGE_TRY(bool answered, pump_until([&] { return done_requests_.count(request) > 0; }, timeout,
                                      /*interruptible=*/true, 10ms)
                               .context(what));
  if (!answered) return make_error("agent did not answer {} within {} ms", what, timeout.count());
  outstanding_.erase(request);
  done_requests_.erase(request);
  if (auto it = failed_requests_.find(request); it != failed_requests_.end()) {
    Error failed = make_error("agent could not {}: {}", what, it->second);
    failed_requests_.erase(it);
    return failed;
  }
  return ok_status();
}

bool GuestSession::wait_for_module_symbols(std::chrono::milliseconds timeout) {
  auto answered = pump_until([&] { return !symbols_.fetching_modules(); }, timeout,
                             /*interruptible=*/true, 10ms);
  return answered && *answered;
}

Status GuestSession::agent_sysrq(char key, std::chrono::milliseconds timeout) {
  uint64_t request = new_request();
  WEDGE_CHECK(send(encoder_.encode_sysrq(request, key)));
  return wait_request(request, timeout, fmt::format("sysrq-{}", key));
}

Result<std::vector<agent::Task>> GuestSession::scan_tasks(const std::string& states,
                                                          std::chrono::milliseconds timeout) {
  uint64_t request = new_request();
  WEDGE_TRY(std::string frame, encoder_.encode_scan_tasks(request, states));
  WEDGE_CHECK(send(frame));
  WEDGE_CHECK(wait_request(request, timeout, "scan tasks"));
  std::vector<agent::Task> out = std::move(tasks_[request]);
  tasks_.erase(request);
  return out;
}

Status GuestSession::write_guest_file(const std::string& path, const std::string& data,
                                      std::chrono::milliseconds timeout) {
  uint64_t request = new_request();
  WEDGE_TRY(std::string frame, encoder_.encode_write_file(request, path, data));
  WEDGE_CHECK(send(frame));
  return wait_request(request, timeout, "write " + path);
}

Result<std::string> GuestSession::read_guest_file(const std::string& path, size_t max_bytes,
                                                  std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < max_bytes) {
    uint64_t request = new_request();
    WEDGE_TRY(std::string frame, encoder_.encode_read_file(request, path, out.size()));
    WEDGE_CHECK(send(frame));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    WEDGE_CHECK(wait_request(request, std::max(left, 1ms), "read " + path));
    std::string piece = std::move(files_[request].data);
    files_.erase(request);
    if (piece.empty()) break;
    out += piece;
  }
  return out;
}

Status GuestSession::watch_guest_files(const std::vector<std::string>& paths,
                                       std::chrono::milliseconds timeout) {
  uint64_t request = new_request();
  WEDGE_TRY(std::string frame, encoder_.encode_watch(request, paths));
  WEDGE_CHECK(send(frame));
  return wait_request(request, timeout, "watch files");
}

Status GuestSession::send(const std::string& frame) { return vm_.write_agent(frame); }

Result<agent::Hello> GuestSession::wait_for_hello(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  uint64_t ping = new_request();
  bool ping_sent = false;
  while (std::chrono::steady_clock::now() < deadline) {
    Pumped p = pump();
    for (const auto& e : p.console_events) {
      // A kernel that panics while booting will never say hello: stop waiting.
      if (e.kind == console::EventKind::kPanic) {
        return make_error("{} (console line {})", e.title, e.line);
      }
    }
    if (interrupted()) return interruption_error();
    if (hello_ && !ping_sent) {
      if (auto s = send(encoder_.encode_ping(ping)); s.ok()) ping_sent = true;
    }
    if (hello_ && done_requests_.count(ping)) return *hello_;
    // Unknown (libvirt unreachable) is not stopped: the guest may well boot on.
    auto status = vm_.status();
    if (status.ok() && status->state != vm::DomainState::kRunning &&
        status->state != vm::DomainState::kPaused && status->state != vm::DomainState::kUnknown) {
      return make_error("the guest stopped during boot (domain {})", status->describe());
    }
    std::this_thread::sleep_for(50ms);
  }
  return make_error("the guest agent did not report within {:.0f} s", timeout.count() / 1000.0);
}

Result<uint32_t> GuestSession::start_job(const std::string& name,
                                         const std::vector<std::string>& argv) {
  uint32_t id = next_job_++;
  jobs_[id] = JobState{};
  jobs_[id].name = name;
  WEDGE_TRY(std::string frame, encoder_.encode_exec(id, argv));
  WEDGE_CHECK(send(frame).context(fmt::format("starting {}", name)));
  return id;
}

Result<JobState> GuestSession::run_step(const std::string& name,
                                        const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
  setup_log_.append(fmt::format("$ {}\n", fmt::join(argv, " ")));
  WEDGE_TRY(uint32_t id, start_job(name, argv));
  WEDGE_TRY(bool finished, pump_until([&] { return jobs_[id].exited; }, timeout,
                                      /*interruptible=*/true, 20ms)
                               .context(name));
  if (!finished) {
    return make_error("{} did not finish within {:.0f} s", name, timeout.count() / 1000.0);
  }
  const JobState& job = jobs_[id];
  if (job.spawn_failed || job.exit_code != 0 || job.signal != 0) {
    const std::string_view out = trim_end(job.output);
    return make_error(
        "{} failed ({}){}{}", name,
        job.signal ? fmt::format("signal {}", job.signal) : fmt::format("exit {}", job.exit_code),
        out.empty() ? "" : ": ", out);
  }
  return job;
}

}  // namespace wedge::run
