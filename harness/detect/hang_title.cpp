// Implementation of hang_title.h.
#include "harness/detect/hang_title.h"

#include <map>

#include "harness/console/parser.h"
#include "harness/detect/task_roles.h"
#include "harness/detect/verdict_rules.h"
#include "harness/traces/stack_groups.h"

namespace wedge::detect {

namespace {

constexpr std::string_view kCpuStuck = "CPU stuck in ";
constexpr std::string_view kTaskHung = "INFO: task hung in ";

// cpu -> the function it ran in every sample it ran in ("" when it moved), and how many
// samples it ran in.
struct RunningCpu {
  std::string function;
  size_t samples = 0;
};

std::map<int, RunningCpu> running_cpus(const std::vector<std::vector<VcpuSample>>& samples) {
  std::map<int, RunningCpu> running;
  for (const auto& sample : samples) {
    for (const auto& v : sample) {
      if (v.halted) continue;
      auto [it, first] = running.try_emplace(v.cpu, RunningCpu{v.function, 0});
      if (!first && it->second.function != v.function) it->second.function = "";
      ++it->second.samples;
    }
  }
  return running;
}

bool from_silence(const reports::Finding& f) {
  return f.evidence == "progress" || f.evidence == "heartbeat";
}

// The hang is put on the host's server: the relay saw it silent, or the detector found it so
// itself (a confirmed deadlock: requests in flight, every vCPU halted, the server sending
// nothing; titled "storage server answered none of ..." by detector_silence.cpp).
bool put_on_server(const reports::Finding& f, const HangEvidence& e) {
  return !e.silent_server.empty() || f.evidence == "storage";
}

// The transport whose server the hang is put on, for its title; "" when not known.
std::string server_put_on(const HangEvidence& e) {
  return !e.silent_server.empty() ? e.silent_server : e.server_transport.value_or("");
}

bool is_sender(const reports::StackGroup& g) {
  return task_role(g.frames, first_comm(g)).role == TaskRole::kTransmit;
}

}  // namespace

std::string stuck_cpu_function(const std::vector<std::vector<VcpuSample>>& samples) {
  if (samples.size() < 2) return "";
  auto running = running_cpus(samples);
  if (running.size() != 1) return "";  // the others must halt
  const RunningCpu& cpu = running.begin()->second;
  return cpu.samples == samples.size() ? cpu.function : "";
}

std::string busy_cpu_function(const std::vector<std::vector<VcpuSample>>& samples) {
  if (samples.size() < 2) return "";
  std::string found;
  for (const auto& [cpu, ran] : running_cpus(samples)) {
    if (ran.samples != samples.size() || ran.function.empty()) continue;
    if (!found.empty() && found != ran.function) return "";  // two candidates: no verdict
    found = ran.function;
  }
  return found;
}

std::string transmit_stuck_title(const std::string& driver) {
  return driver + ": request transmit stuck in page allocation";
}

std::string reconnect_stuck_title(const std::string& driver) {
  return driver + ": reconnect stuck in page allocation";
}

std::string cause_title(const std::vector<reports::StackGroup>& stacks) {
  if (stacks.empty()) return "";
  TaskRoleMatch m = task_role(stacks.front().frames, first_comm(stacks.front()));
  if (!is_cause(m.role)) return "";
  // Named by what it is stuck in, not by the frame the dump caught it at (a sender is caught
  // anywhere from its socket send down to reclaim), and the same title whether the dump
  // shows the sender or only what it leaves behind (inferred_transmit_title).
  if (m.role == TaskRole::kTransmit && m.allocating) return transmit_stuck_title(m.driver);
  // A reconnect is caught in whichever of its allocations reclaim blocked (the queue's PDU
  // buffers, its socket, the async request): one title for all of them.
  if (m.role == TaskRole::kReconnect) return reconnect_stuck_title(m.driver);
  return std::string(kTaskHung) + m.cause_frame;
}

std::vector<reports::StackGroup> sender_stacks(const std::vector<traces::TaskTrace>& tasks) {
  std::vector<traces::TaskTrace> senders;
  for (const auto& t : tasks) {
    if (!t.frames.empty() && task_role(t.frames, t.comm).role == TaskRole::kTransmit) {
      senders.push_back(t);
    }
  }
  std::vector<reports::StackGroup> out;
  for (const auto& g : traces::group_stacks(senders)) {
    out.push_back(reports::StackGroup{g.count, g.state, g.tasks, g.frames});
  }
  return out;
}

std::string sender_title(const HangEvidence& e) {
  for (const auto* groups : {&e.stacks, &e.senders}) {
    for (const auto& g : *groups) {
      if (is_sender(g)) return cause_title({g});
    }
  }
  return "";
}

std::string inferred_transmit_title(const HangEvidence& e) {
  std::string driver = e.server_transport.value_or("");
  if (e.server_transport && driver.empty()) return "";  // no host server to send to
  bool waiters = false;  // waiting for I/O inside reclaim: the guest is short of memory
  bool running_shown = false;
  bool receiver_on_lock = false;
  for (const auto& g : e.stacks) {
    TaskRoleMatch m = task_role(g.frames, first_comm(g));
    if (is_cause(m.role)) return "";  // the dump shows the cause: cause_title names it
    if (m.role == TaskRole::kWaiter && m.allocating) waiters = true;
    if (m.role == TaskRole::kReceiver) {
      if (driver.empty()) driver = m.driver;
      receiver_on_lock |= m.waits_for_socket_lock;
    }
    running_shown |= g.state == "R";
  }
  if (driver.empty() || !waiters) return "";
  const bool unseen_spinner = e.subkind == "livelock" && !running_shown;
  return unseen_spinner || receiver_on_lock ? transmit_stuck_title(driver) : "";
}

namespace {

// The first stack group is a task stuck getting memory that the others wait on.
bool cause_is_allocating(const std::vector<reports::StackGroup>& stacks) {
  if (stacks.empty()) return false;
  TaskRoleMatch m = task_role(stacks.front().frames, first_comm(stacks.front()));
  return is_cause(m.role) && m.allocating;
}

}  // namespace

std::string hang_title_from_traces(const std::vector<reports::StackGroup>& stacks,
                                   const std::string& stuck_function) {
  if (!stuck_function.empty()) return std::string(kCpuStuck) + stuck_function;
  if (stacks.empty()) return "";
  if (std::string cause = cause_title(stacks); !cause.empty()) return cause;
  std::string blamed = console::blamed_frame(stacks.front().frames);
  return blamed.empty() ? "" : std::string(kTaskHung) + blamed;
}

std::string server_silent_title(const std::string& transport) {
  return transport + ": server not answering requests";
}

HangTitle hang_title_after_traces(const reports::Finding& f, const HangEvidence& e) {
  if (f.kind != "hang" || names_spinning_cpu(f)) return {};
  if (!e.stuck_function.empty()) return {std::string(kCpuStuck) + e.stuck_function, "livelock"};
  if (waits_for_cpu(f.frames) && !e.busy_function.empty()) {
    return {std::string(kCpuStuck) + e.busy_function, "livelock"};
  }
  // Bytes toward the server stayed queued: it stopped reading and holds the requests. Guest
  // senders waiting for socket space, or for memory the stuck swap-out would free, wait for it.
  if (!e.silent_server.empty() && e.server_stopped_reading) {
    return {server_silent_title(e.silent_server), ""};
  }
  // Otherwise the server took every byte it was sent, and the relay counts bytes and turns,
  // not whole requests: a sender stuck in the guest's transmit path (allocating, or asleep for
  // memory or socket space) leaves its request half sent and the server rightly waiting for
  // the rest. The sender, seen or inferred, is the cause; the server only when there is none.
  if (cause_is_allocating(e.stacks)) return {cause_title(e.stacks), ""};
  if (std::string inferred = inferred_transmit_title(e); !inferred.empty()) return {inferred, ""};
  if (put_on_server(f, e)) {
    if (std::string sender = sender_title(e); !sender.empty()) return {sender, ""};
    // No sender is stuck: the server holds the requests, one title whoever found it.
    if (std::string transport = server_put_on(e); !transport.empty()) {
      return {server_silent_title(transport), ""};
    }
  }
  if (std::string cause = cause_title(e.stacks); !cause.empty()) return {cause, ""};
  if (from_silence(f)) return {hang_title_from_traces(e.stacks, ""), ""};
  return {};
}

void retitle_hang(reports::Finding* f, const std::string& title) {
  size_t in = title.rfind(" in ");
  f->title = title;
  f->report = in == std::string::npos ? title : title.substr(0, in);
  f->blamed = in == std::string::npos ? "" : title.substr(in + 4);
  f->signature = signature_of(f->kind, f->report, f->blamed);
}

bool revise_cpu_waiting_hangs(std::vector<reports::Finding>* findings) {
  const reports::Finding* spinning = nullptr;
  for (const auto& f : *findings) {
    if (names_spinning_cpu(f)) {
      spinning = &f;
      break;
    }
  }
  if (!spinning) return false;
  const std::string title = std::string(kCpuStuck) + spinning->blamed;
  bool changed = false;
  for (auto& f : *findings) {
    if (f.kind != "hang" || names_spinning_cpu(f) || !waits_for_cpu(f.frames)) continue;
    if (f.title != title) {
      retitle_hang(&f, title);
      changed = true;
    }
    f.subkind = "livelock";
  }
  return changed;
}

std::optional<double> awaits_spinning_cpu_report(const std::vector<reports::Finding>& findings) {
  std::optional<double> waiting;
  for (const auto& f : findings) {
    if (names_spinning_cpu(f)) return std::nullopt;
    if (f.kind == "hang" && waits_for_cpu(f.frames) && !f.title.starts_with(kCpuStuck) &&
        !waiting) {
      waiting = f.detected_s.value_or(0);
    }
  }
  return waiting;
}

}  // namespace wedge::detect
