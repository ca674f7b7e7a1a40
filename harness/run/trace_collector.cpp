// Implementation of trace_collector.h. Each route is tried in order; a failed route is noted
// and the next one tried, so one broken route never costs the others.
#include "harness/run/trace_collector.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/detect/analyze.h"
#include "harness/detect/hang_title.h"
#include "harness/traces/console_tasks.h"
#include "harness/traces/module_memory.h"
#include "harness/traces/proc_stack.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

namespace {

Error not_offered(const char* what) { return make_error("the VM backend offers no {}", what); }

}  // namespace

Status TraceCollector::HostRoutes::send_sysrq(char key) const {
  if (monitor_ == nullptr) return not_offered("keyboard sysrq");
  return monitor_->send_sysrq(key);
}

Status TraceCollector::HostRoutes::send_serial_sysrq(char key) const {
  if (serial_ == nullptr) return not_offered("serial line");
  return serial_->send_serial_sysrq(key);
}

Result<std::string> TraceCollector::HostRoutes::monitor_command(const std::string& hmp) const {
  if (monitor_ == nullptr) return not_offered("monitor");
  return monitor_->monitor_command(hmp);
}

Status TraceCollector::HostRoutes::dump_memory(const std::filesystem::path& path) const {
  if (monitor_ == nullptr) return not_offered("memory dump");
  return monitor_->dump_memory(path);
}

Status TraceCollector::HostRoutes::inject_nmi() const {
  if (monitor_ == nullptr) return not_offered("NMI");
  return monitor_->inject_nmi();
}

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// How long a hung guest is asked for each trace (the timeout table's budgets: not scaled).
const Timeouts kBudgets{};

std::vector<traces::TaskTrace> TraceCollector::console_tasks_after(int mark, double seconds) {
  std::vector<traces::TaskTrace> tasks;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  size_t last_count = 0;
  auto quiet_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    (void)session_.pump();
    tasks = traces::task_traces_from_events(session_.console_events_after(mark));
    if (tasks.size() != last_count) {
      last_count = tasks.size();
      quiet_since = std::chrono::steady_clock::now();
    } else if (!tasks.empty() && std::chrono::steady_clock::now() - quiet_since > 700ms) {
      break;  // the dump has stopped growing
    }
    std::this_thread::sleep_for(50ms);
  }
  // A final flush completes the last task's stack.
  (void)session_.finish_console();
  return traces::task_traces_from_events(session_.console_events_after(mark));
}

traces::KernelSymbols TraceCollector::symbols_for(const std::vector<traces::VcpuState>& vcpus,
                                                  bool agent_usable, const fs::path& dir,
                                                  std::vector<std::string>* notes) {
  traces::KernelSymbols symbols = session_.kernel_symbols();
  auto unnamed = [&] {
    std::vector<uint64_t> rips;
    for (const auto& v : vcpus) {
      if (!symbols.lookup(v.rip) && std::find(rips.begin(), rips.end(), v.rip) == rips.end()) {
        rips.push_back(v.rip);
      }
    }
    return rips;
  };
  if (!unnamed().empty() && agent_usable &&
      session_.wait_for_module_symbols(kBudgets.trace_module_symbols)) {
    symbols = session_.kernel_symbols();
  }
  notes->push_back(session_.kernel_symbol_sources());
  if (!unnamed().empty() && agent_usable && !symbols.has_core()) {
    // No System.map: the guest's own kallsyms, all 3.5 MiB of it, while the agent answers.
    auto text = session_.read_guest_file("/proc/kallsyms", 32u << 20, kBudgets.trace_kallsyms);
    auto table = text ? traces::SymbolTable::from_kallsyms(*text)
                      : Result<traces::SymbolTable>(text.error());
    if (table) {
      (void)write_file_atomic(run_dir_ / "traces" / "kallsyms", *text);
      symbols.set_core(std::move(*table), 0);
      notes->push_back("core kernel and modules from all of /proc/kallsyms");
    } else {
      notes->push_back("reading /proc/kallsyms: " + table.error().message());
    }
  }
  // Modules loaded since the last fetch (or with the agent dead before it came): their own
  // symbol tables, from guest memory.
  std::string raw;
  traces::ReadMemory read = [&](uint64_t addr, size_t len) -> Result<std::string> {
    std::string command = traces::hmp_memory_command(addr, len);
    WEDGE_TRY(std::string answer, vm_.monitor_command(command));
    raw += "# " + command + "\n" + answer + (answer.ends_with('\n') ? "" : "\n");
    return traces::parse_hmp_memory(answer, addr, len);
  };
  int scans = 0;
  for (uint64_t rip : unnamed()) {
    if (rip < 0xffff800000000000ULL || symbols.lookup(rip)) continue;  // user space, or named
    if (scans++ == 4) break;
    auto started = std::chrono::steady_clock::now();
    auto scan = traces::module_symbols_from_memory(rip, read);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!scan) {
      notes->push_back(fmt::format("{:#x}: {} ({:.2f} s)", rip, scan.error().message(), took));
      continue;
    }
    notes->push_back(
        fmt::format("{} symbols of module {} from guest memory at {:#x} ({} KiB scanned, {:.2f} s)",
                    scan->symbols.size(), scan->module.empty() ? "?" : scan->module,
                    scan->kallsyms_at, scan->bytes_scanned / 1024, took));
    symbols.add_module(std::move(scan->symbols));
  }
  if (!raw.empty()) (void)write_file_atomic(dir / "module-memory.txt", raw);
  return symbols;
}

namespace {

nlohmann::json tasks_json(const std::vector<traces::TaskTrace>& tasks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tasks) {
    out.push_back({{"pid", t.pid},
                   {"comm", t.comm},
                   {"state", t.state},
                   {"wchan", t.wchan},
                   {"frames", t.frames},
                   {"source", t.source}});
  }
  return out;
}

}  // namespace

std::vector<traces::TaskTrace> TraceCollector::console_dump(const std::string& route,
                                                            const std::function<Status()>& send,
                                                            double wait_s, TraceResult& r) {
  int mark = session_.console_lines();
  if (Status s = send(); !s) {
    r.problems.push_back(route + ": " + s.error().message());
    return {};
  }
  std::vector<traces::TaskTrace> tasks = console_tasks_after(mark, wait_s);
  if (!tasks.empty()) r.routes.push_back(route);
  return tasks;
}

// sysrq-w lists blocked tasks only; a task running while the others wait on it (a sender
// stuck allocating) is in sysrq-t alone. Add those, but not the task that printed the dump.
void TraceCollector::add_running_tasks(TraceResult& r) {
  for (const auto& t : r.all_tasks) {
    if (t.state != "R" || t.frames.empty() || traces::starts_in_the_dumper(t.frames)) continue;
    bool known = std::any_of(r.tasks.begin(), r.tasks.end(),
                             [&](const traces::TaskTrace& k) { return k.pid == t.pid; });
    if (!known) r.tasks.push_back(t);
  }
}

std::vector<traces::TaskTrace> TraceCollector::dump_all_tasks(bool via_agent, TraceResult& r) {
  // Only ways that got sysrq-w through: when none did, the kernel prints nothing and each
  // try would only cost its wait.
  auto worked = [&](const char* route) {
    return std::find(r.routes.begin(), r.routes.end(), route) != r.routes.end();
  };
  // The agent's sysrq-w reached the console although its task scan did not answer (the scan
  // blocks in reclaim): the kernel still prints, and sysrq-t is where a running task (a sender
  // stuck allocating, which sysrq-w leaves out) shows up. Try the agent, then the keyboard.
  const bool agent_sysrq_printed = worked("agent-sysrq");
  std::vector<std::pair<std::string, std::function<Status()>>> ways;
  if (via_agent || agent_sysrq_printed) {
    ways.emplace_back("agent-sysrq-t",
                      [&] { return session_.agent_sysrq('t', kBudgets.trace_agent_sysrq); });
  }
  if (worked("sysrq-key") || agent_sysrq_printed) {
    ways.emplace_back("sysrq-key-t", [&] { return vm_.send_sysrq('t'); });
  }
  if (worked("sysrq-serial")) {
    ways.emplace_back("sysrq-serial-t", [&] { return vm_.send_serial_sysrq('t'); });
  }
  for (const auto& [route, send] : ways) {
    if (interrupted()) break;
    std::vector<traces::TaskTrace> tasks =
        console_dump(route, send, in_seconds(kBudgets.trace_console_sysrq_t), r);
    if (tasks.empty()) continue;
    (void)write_file_atomic(
        r.dir / "all-tasks.json",
        tasks_json(tasks).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    return tasks;
  }
  return {};
}

TraceResult TraceCollector::collect(size_t index, const TraceOptions& options,
                                    const std::function<void()>& before_nmi) {
  TraceResult r;
  r.dir = run_dir_ / "traces" / std::to_string(index);
  std::error_code ec;
  fs::create_directories(r.dir, ec);
  auto note = [&](const std::string& route, const Error& e) {
    r.problems.push_back(route + ": " + e.message());
  };

  // 1. The agent.
  if (options.agent_alive && !options.crash) {
    int mark = session_.console_lines();
    if (auto s = session_.agent_sysrq('w', kBudgets.trace_agent_sysrq); !s)
      note("agent sysrq-w", s.error());
    // Reading /proc needs kernel memory: in a guest whose swap is stuck the scan itself can
    // block in reclaim. Give it a few seconds, then stop relying on the agent.
    auto tasks = session_.scan_tasks("DR", kBudgets.trace_task_scan);
    if (tasks) {
      nlohmann::json raw = nlohmann::json::array();
      for (const auto& t : *tasks) {
        raw.push_back({{"pid", t.pid},
                       {"comm", t.comm},
                       {"state", t.state},
                       {"wchan", t.wchan},
                       {"stack", t.stack}});
        r.tasks.push_back(traces::task_trace_from_agent(t));
      }
      (void)write_file_atomic(
          r.dir / "agent-tasks.json",
          raw.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      r.routes.push_back("agent");
    } else {
      note("agent task scan", tasks.error());
      agent_answering_ = false;
    }
    if (r.tasks.empty()) {
      // The scan failed, but the agent's sysrq-w may still have reached the console.
      r.tasks = console_tasks_after(mark, in_seconds(kBudgets.trace_console_agent_sysrq));
      if (!r.tasks.empty()) r.routes.push_back("agent-sysrq");
    }
  }

  // SIGINT/SIGTERM: keep what was gathered, skip the remaining routes (each takes seconds).
  auto finish = [&] {
    nlohmann::json summary = {{"routes", r.routes},
                              {"subkind", r.subkind},
                              {"stuck_function", r.stuck_function},
                              {"busy_function", r.busy_function},
                              {"problems", r.problems}};
    summary["tasks"] = tasks_json(r.tasks);
    summary["all_tasks"] = r.all_tasks.size();
    if (interrupted()) summary["interrupted"] = interrupt_signal_name();
    (void)write_file_atomic(
        r.dir / "summary.json",
        summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    return r;
  };
  if (interrupted()) return finish();

  // 2. Host-side sysrq when the agent gave nothing.
  if (r.tasks.empty() && !options.crash) {
    r.tasks = console_dump(
        "sysrq-key", [&] { return vm_.send_sysrq('w'); },
        in_seconds(kBudgets.trace_console_sysrq_w), r);
    if (r.tasks.empty()) {
      r.tasks = console_dump(
          "sysrq-serial", [&] { return vm_.send_serial_sysrq('w'); },
          in_seconds(kBudgets.trace_console_sysrq_w), r);
    }
  }

  // Every task, sleeping ones too (sysrq-t): what the blocked tasks wait for is often held by
  // an S task (a daemon in poll, a kthread waiting for work).
  if (!options.crash) {
    r.all_tasks = dump_all_tasks(options.agent_alive && agent_answering_, r);
    if (r.tasks.empty()) {
      std::copy_if(r.all_tasks.begin(), r.all_tasks.end(), std::back_inserter(r.tasks),
                   [](const traces::TaskTrace& t) { return t.state == "D" || t.state == "R"; });
    } else {
      add_running_tasks(r);
    }
  }

  if (interrupted()) return finish();

  // 3. vCPU registers: a sleeping deadlock halts the vCPUs, a livelock keeps them busy.
  std::string raw_registers;
  std::vector<std::vector<traces::VcpuState>> samples;
  for (int sample = 0; sample < 3; ++sample) {
    auto regs = vm_.monitor_command("info registers -a");
    if (!regs) {
      note("registers", regs.error());
      break;
    }
    raw_registers += *regs + "\n";
    if (auto parsed = traces::parse_info_registers(*regs); parsed) {
      r.vcpus.insert(r.vcpus.end(), parsed->begin(), parsed->end());
      samples.push_back(*parsed);
    }
    std::this_thread::sleep_for(100ms);
  }
  if (!r.vcpus.empty()) {
    r.routes.push_back("registers");
    bool any_busy = false;
    for (const auto& v : r.vcpus) any_busy |= !v.halted;
    std::vector<std::string> notes;
    traces::KernelSymbols symbols =
        symbols_for(r.vcpus, options.agent_alive && agent_answering_, r.dir, &notes);
    std::string text = raw_registers;
    text += "\n# symbolized\n";
    for (const auto& line : notes) text += "# symbols: " + line + "\n";
    for (const auto& v : r.vcpus) {
      text += fmt::format("CPU#{} {} RIP={:016x} {}\n", v.cpu, v.halted ? "halted" : "running",
                          v.rip, symbols.lookup(v.rip).value_or(""));
    }
    (void)write_file_atomic(r.dir / "registers.txt", text);
    // The agent's own work keeps a vCPU busy now and then: "busy" needs every sample busy
    // or tasks spinning in reclaim.
    std::string by_tasks = detect::hang_subkind(r.tasks);
    bool all_busy = true;
    for (const auto& v : r.vcpus) all_busy &= !v.halted;
    std::vector<std::vector<detect::VcpuSample>> named;
    for (const auto& sample : samples) {
      auto& out = named.emplace_back();
      for (const auto& v : sample) {
        std::string fn = symbols.lookup(v.rip).value_or("");
        out.push_back({v.cpu, v.halted, fn.substr(0, fn.find('+'))});
      }
    }
    r.stuck_function = detect::stuck_cpu_function(named);
    r.busy_function = detect::busy_cpu_function(named);
    if (by_tasks == "livelock" || all_busy || !r.stuck_function.empty()) {
      r.subkind = "livelock";
    } else if (!any_busy || by_tasks == "deadlock") {
      r.subkind = "deadlock";
    }
  } else {
    r.subkind = detect::hang_subkind(r.tasks);
  }

  // 4. A memory dump for crash/drgn.
  if (options.memory_dump && !interrupted()) {
    fs::path dump = r.dir / "vmcore.kdump";
    if (auto s = vm_.dump_memory(dump); s) {
      r.routes.push_back("dump");
    } else {
      note("dump", s.error());
    }
  }

  // 5. Last resort, opt-in: NMI -> panic with every task's stack; the guest is gone after.
  if (options.nmi_last_resort && r.tasks.empty() && !interrupted()) {
    if (before_nmi) before_nmi();
    r.tasks = console_dump(
        "nmi", [&] { return vm_.inject_nmi(); }, in_seconds(kBudgets.trace_console_nmi), r);
  }

  return finish();
}

}  // namespace wedge::run
