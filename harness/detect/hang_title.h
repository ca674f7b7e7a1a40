// The title of a hang once traces are in, for live runs and `wedge analyze` alike. It names
// the cause, not the crowd waiting for it, so that one bug keeps one title run after run:
// a vCPU the registers show running in one function is a CPU stuck there (a livelock); a
// storage server the relay shows silent with requests outstanding is the server; a task the
// others wait on (task_roles.h: a driver sending the request, a storage daemon or virtio_net's
// refill worker in reclaim) is that task; otherwise the biggest group of waiters names it.
//
//   HangEvidence e;
//   e.stacks = rank_by_role(stacks);
//   e.stuck_function = stuck_cpu_function(samples);
//   HangTitle t = hang_title_after_traces(finding, e);  // {"CPU stuck in spin_forever", ...}
//   if (!t.title.empty()) retitle_hang(&finding, t.title);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/report.h"

namespace wedge::detect {

// One `info registers -a` sample: per vCPU, halted or the kernel function it runs ("" when
// the instruction pointer could not be named).
struct VcpuSample {
  int cpu = 0;
  bool halted = false;
  std::string function;
};

// The function one vCPU ran in every sample (at least two) while every other vCPU was halted
// in every sample; "" otherwise.
[[nodiscard]] std::string stuck_cpu_function(const std::vector<std::vector<VcpuSample>>& samples);

// The function one vCPU ran in every sample (at least two), whatever the others did (on a
// 2-vCPU guest the other one runs the agent and the dumps); "" when no vCPU, or two in
// different functions, stayed in one named function. Enough evidence only for a hang whose
// task waits for a CPU (RCU): busy_cpu_function(samples) -> "demo_spin".
[[nodiscard]] std::string busy_cpu_function(const std::vector<std::vector<VcpuSample>>& samples);

// "CPU stuck in FUNC" when stuck_function is known; else "INFO: task hung in FUNC" from the
// first of the stacks (ranked by rank_by_role): the cause's own frame when that group is a
// cause, else its blamed frame; "" when none names a frame.
[[nodiscard]] std::string hang_title_from_traces(const std::vector<reports::StackGroup>& stacks,
                                                 const std::string& stuck_function);

// The title of a hang whose storage driver is stuck getting memory while sending a request:
// transmit_stuck_title("nbd") -> "nbd: request transmit stuck in page allocation".
[[nodiscard]] std::string transmit_stuck_title(const std::string& driver);

// The title of the first of the ranked stacks when it is a task the others wait on
// (task_roles.h), "" otherwise: transmit_stuck_title for a driver sending a request that is
// stuck getting memory, else "INFO: task hung in FRAME" (refill_work, __sock_xmit...).
[[nodiscard]] std::string cause_title(const std::vector<reports::StackGroup>& stacks);

// The title of a hang whose storage server stopped answering with requests outstanding:
// server_silent_title("iscsi") -> "iscsi: server not answering requests".
[[nodiscard]] std::string server_silent_title(const std::string& transport);

// What the traces and the host saw, for hang_title_after_traces.
struct HangEvidence {
  std::vector<reports::StackGroup> stacks;  // ranked by rank_by_role
  std::string stuck_function;               // stuck_cpu_function of the register samples
  std::string busy_function;                // busy_cpu_function of the register samples
  std::string silent_server;                // transport name when the relay saw it silent
  // The transport whose server runs on the host, which the guest's own driver sends requests
  // to; its name names the driver in titles ("nbd", "iscsi", "nfs"). "" when the transport's
  // server runs in the guest or it has none (nbd-loopback, 9p); unset when unknown (a console).
  std::optional<std::string> server_transport;
  std::string subkind;  // the traces' "livelock" or "deadlock"; "" unknown
};

// transmit_stuck_title when the dump does not show the sender but shows what it leaves
// behind: no task in it is a cause, some wait for I/O inside reclaim (the guest is short of
// the memory a sender needs), and either a vCPU kept running while
// no running task was shown (sysrq-w lists only blocked tasks: the one spinning in reclaim is
// missing) or the driver's receive worker sleeps on its socket's lock (a sender holds the
// socket inside its send path). The driver is server_transport's, else the receive worker's;
// "" when none applies, or the transport has no host server.
[[nodiscard]] std::string inferred_transmit_title(const HangEvidence& evidence);

struct HangTitle {
  std::string title;    // "" keeps the finding's own title
  std::string subkind;  // "livelock" when the title names a CPU; "" keeps the traces' subkind
};

// The title a hang finding takes once traces are in. Kept: a non-hang, and a hang the kernel
// itself reported as a CPU spinning in a function (soft lockup, RCU stall). Then, first match:
// a CPU stuck in one function (and, for a task waiting for RCU or a CPU, one vCPU busy in one
// function); a task the others wait on that is stuck getting memory; a sender stuck getting
// memory that the dump missed (inferred_transmit_title); a silent server; any other task the
// others wait on; for a hang found by silence, the biggest group of waiters.
// Other kernel reports (hung task, stuck request) keep their title.
[[nodiscard]] HangTitle hang_title_after_traces(const reports::Finding& finding,
                                                const HangEvidence& evidence);

// Puts a title on a hang finding, with the blamed frame after its last " in " (none without)
// and the signature derived from both: retitle_hang(&f, "INFO: task hung in __sock_xmit")
// gives signature "hang|INFO: task hung|__sock_xmit".
void retitle_hang(reports::Finding* finding, const std::string& title);

// A hang whose task waits for RCU or a CPU, with another finding that names the CPU spinning
// in a function (an RCU stall's RIP, a soft lockup): the hang is that CPU, retitled "CPU stuck
// in FUNC" (livelock), whichever came first. Returns true if a title changed. Call it when a
// finding is added and when traces arrive.
bool revise_cpu_waiting_hangs(std::vector<reports::Finding>* findings);

// When a hang's task waits for RCU or a CPU and nothing has named that CPU yet (no RCU stall
// or soft lockup report, no "CPU stuck in" title), the run time that hang was detected: the
// report may follow within seconds. nullopt otherwise.
[[nodiscard]] std::optional<double> awaits_spinning_cpu_report(
    const std::vector<reports::Finding>& findings);

}  // namespace wedge::detect
