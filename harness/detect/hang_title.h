// The title of a hang once traces are in, for live runs and `wedge analyze` alike. It names
// the cause, not the crowd waiting for it, so that one bug keeps one title run after run:
// a vCPU the registers show running in one function is a CPU stuck there (a livelock); a
// storage server the relay shows holding requests (it stopped reading them) is the server; a
// task the others wait on (task_roles.h: a driver sending the request or reconnecting, a
// storage daemon or virtio_net's refill worker in reclaim) is that task; a server that took
// every byte and answered nothing is the cause only when no sender in the guest is stuck in
// its own transmit path (it may be waiting for the rest of a half-sent request); otherwise the
// biggest group of waiters names it.
//
//   HangEvidence e;
//   e.stacks = rank_by_role(stacks);
//   e.senders = sender_stacks(all_tasks);
//   e.stuck_function = stuck_cpu_function(samples);
//   HangTitle t = hang_title_after_traces(finding, e);  // {"CPU stuck in spin_forever", ...}
//   if (!t.title.empty()) retitle_hang(&finding, t.title);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/traces/task_trace.h"
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

// The title of a hang whose storage driver is stuck getting memory while it reconnects its
// transport (its reclaim writes to the device that has no path until it connects):
// reconnect_stuck_title("nvme-tcp") -> "nvme-tcp: reconnect stuck in page allocation".
[[nodiscard]] std::string reconnect_stuck_title(const std::string& driver);

// The title of the first of the ranked stacks when it is a task the others wait on
// (task_roles.h), "" otherwise: transmit_stuck_title for a driver sending a request that is
// stuck getting memory, reconnect_stuck_title for a driver's reconnect that is, else
// "INFO: task hung in FRAME" (refill_work, __sock_xmit...).
[[nodiscard]] std::string cause_title(const std::vector<reports::StackGroup>& stacks);

// The title of a hang whose storage server stopped answering with requests outstanding:
// server_silent_title("iscsi") -> "iscsi: server not answering requests".
[[nodiscard]] std::string server_silent_title(const std::string& transport);

// What the traces and the host saw, for hang_title_after_traces.
struct HangEvidence {
  std::vector<reports::StackGroup> stacks;  // ranked by rank_by_role
  std::string stuck_function;               // stuck_cpu_function of the register samples
  std::string busy_function;                // busy_cpu_function of the register samples
  // The transport's name when the relay saw its server silent with requests waiting
  // (server_silence.h: kUnanswered or kStoppedReading); "" otherwise.
  std::string silent_server;
  // ... and the proof that the server holds them (kStoppedReading): bytes toward it stayed
  // queued, it stopped reading. Without it the server may be waiting, rightly, for the rest of
  // a request the guest never finished sending, and a stuck sender in the guest is the cause.
  bool server_stopped_reading = false;
  // The guest's senders in any state (sender_stacks): one asleep in sk_stream_wait_memory is
  // in state S, which `stacks` (blocked and running tasks only) leaves out.
  std::vector<reports::StackGroup> senders;
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

// The stack groups of the tasks in a storage driver's transmit path (TaskRole::kTransmit),
// whatever state the dump caught them in: sender_stacks(all_tasks) -> kblockd asleep in
// sk_stream_wait_memory <- __sock_xmit <- nbd_send_cmd.
[[nodiscard]] std::vector<reports::StackGroup> sender_stacks(
    const std::vector<traces::TaskTrace>& tasks);

// The title of the first task in the guest's own transmit path, in the stacks and then among
// the senders, as cause_title names it ("INFO: task hung in __sock_xmit", or
// transmit_stuck_title when it allocates); "" when no sender is there.
[[nodiscard]] std::string sender_title(const HangEvidence& evidence);

struct HangTitle {
  std::string title;    // "" keeps the finding's own title
  std::string subkind;  // "livelock" when the title names a CPU; "" keeps the traces' subkind
};

// The title a hang finding takes once traces are in. Kept: a non-hang, and a hang the kernel
// itself reported as a CPU spinning in a function (soft lockup, RCU stall). Then, first match:
// a CPU stuck in one function (and, for a task waiting for RCU or a CPU, one vCPU busy in one
// function); a server that stopped reading requests (server_stopped_reading); a task the
// others wait on that is stuck getting memory; a sender stuck getting memory that the dump
// missed (inferred_transmit_title); when the hang is put on the server (silent_server, or the
// detector's own "storage server answered none" finding), a sender stuck in the guest's
// transmit path in any state (sender_title), else the server (server_silent_title of
// silent_server or server_transport); any other task the others wait on; for a hang found by
// silence, the biggest group of waiters.
// Other kernel reports (hung task, stuck request) keep their title, and so does the detector's
// "no recovery within N s after the fault ended" (a stall that outlived its fault): renamed by
// a cause found in the traces (a reconnect stuck in reclaim, say), kept without one.
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
