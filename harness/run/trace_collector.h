// Trace collection after a hang or crash, layered by route so that something always gets out:
// 1. the agent (mlocked, never forks): sysrq-w through /proc/sysrq-trigger and a scan of every
//    D/R task's /proc/PID/stack; 2. from the host when the agent is silent: sysrq by keyboard
//    (libvirt send-key), then by serial BREAK (works in a livelock); then sysrq-t for every
//    task, sleeping ones too, by the first of those ways that works; 3. vCPU registers through
//    the QEMU monitor (HLT tells a sleeping deadlock from a spinning livelock), RIPs named with
//    the session's kernel symbols or, for a module, its symbols read from guest memory;
//    4. a memory dump;
//    5. opt-in: an NMI with unknown_nmi_panic, which prints every task and kills the guest.
// Everything lands in <run dir>/traces/<n>/, parsed (summary.json) and raw.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "harness/run/guest_session.h"
#include "harness/traces/kernel_symbols.h"
#include "harness/traces/registers.h"
#include "harness/traces/task_trace.h"
#include "harness/vm/vm.h"

namespace wedge::run {

struct TraceOptions {
  bool agent_alive = true;  // heartbeat fresh: try the agent first
  bool memory_dump = true;
  bool nmi_last_resort = false;
  bool crash = false;  // a crash: the console already has the stack; registers + dump
};

struct TraceResult {
  std::vector<std::string> routes;       // that delivered: "agent", "sysrq-key", "sysrq-serial",
                                         // "agent-sysrq-t" (or "sysrq-key-t", "sysrq-serial-t"),
                                         // "registers", "dump", "nmi"
  std::vector<traces::TaskTrace> tasks;  // blocked (D) and running (R) tasks
  std::vector<traces::TaskTrace> all_tasks;  // every task, from sysrq-t (all-tasks.json)
  std::vector<traces::VcpuState> vcpus;
  std::string subkind;  // "deadlock" / "livelock" / "" (unknown)
  // The kernel function one vCPU ran in every register sample while the others halted.
  std::string stuck_function;
  // The kernel function one vCPU ran in every register sample, whatever the others did.
  std::string busy_function;
  std::filesystem::path dir;
  std::vector<std::string> problems;  // routes that failed, and why
};

class TraceCollector {
 public:
  using Clock = std::function<double()>;
  TraceCollector(GuestSession& session, vm::Instance& vm, std::filesystem::path run_dir,
                 Clock clock)
      : session_(session), vm_(vm), run_dir_(std::move(run_dir)), clock_(std::move(clock)) {}

  // Collects traces for finding number `index` (names the traces/<index> directory).
  // before_nmi is called right before an NMI is injected (so the detector can ignore the panic).
  TraceResult collect(size_t index, const TraceOptions& options,
                      const std::function<void()>& before_nmi = {});

 private:
  // Waits up to `seconds`, pumping, for console task dumps after console line `mark`.
  std::vector<traces::TaskTrace> console_tasks_after(int mark, double seconds);
  // Sends what makes the kernel print tasks (sysrq, NMI) and waits up to wait_s for the dump;
  // a dump that comes adds `route` to r.routes, a send that fails adds to r.problems.
  std::vector<traces::TaskTrace> console_dump(const std::string& route,
                                              const std::function<Status()>& send, double wait_s,
                                              TraceResult& r);
  // sysrq-t through the agent (via_agent), else by keyboard or serial BREAK when that way
  // got sysrq-w through; the first dump that reaches the console wins. Writes all-tasks.json.
  std::vector<traces::TaskTrace> dump_all_tasks(bool via_agent, TraceResult& r);
  static void add_running_tasks(TraceResult& r);
  // The symbols that name every RIP of vcpus if possible: the session's (System.map, module
  // lines of kallsyms), then, while the agent answers, a finished module fetch or the whole
  // /proc/kallsyms, then module symbol tables read from guest memory. notes say which were
  // used; the raw memory reads go to <dir>/module-memory.txt.
  traces::KernelSymbols symbols_for(const std::vector<traces::VcpuState>& vcpus, bool agent_usable,
                                    const std::filesystem::path& dir,
                                    std::vector<std::string>* notes);

  // The guest's optional host-side routes (vm.h); one the backend lacks fails naming it.
  class HostRoutes {
   public:
    explicit HostRoutes(vm::Instance& vm)
        : monitor_(vm::find<vm::Monitor>(vm)), serial_(vm::find<vm::SerialLine>(vm)) {}
    [[nodiscard]] Status send_sysrq(char key) const;
    [[nodiscard]] Status send_serial_sysrq(char key) const;
    [[nodiscard]] Result<std::string> monitor_command(const std::string& hmp) const;
    [[nodiscard]] Status dump_memory(const std::filesystem::path& path) const;
    [[nodiscard]] Status inject_nmi() const;

   private:
    vm::Monitor* monitor_;
    vm::SerialLine* serial_;
  };

  GuestSession& session_;
  HostRoutes vm_;
  std::filesystem::path run_dir_;
  Clock clock_;
  bool agent_answering_ = true;
};

}  // namespace wedge::run
