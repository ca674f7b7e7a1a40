// Every timeout and timing default of a run, in one table, with one scale factor: TCG guests
// run several times slower than KVM ones, so every wait on the guest is scaled here and nowhere
// else (as syzkaller's sys/targets Timeouts).
//
//   Timeouts t = Timeouts::for_accel(/*tcg=*/true);
//   t.boot();          // 60 s: domain start to the agent's hello
//   t.stall(20);       // 40 s: a scenario's stall_s = 20, in host time
//   t.server_start;    // 10 s: host-side, never scaled
//
// Three groups below:
//   - Guest waits (`*_base`, read through the accessor): how long the guest may take to answer,
//     boot or make progress. Scaled by `scale`.
//   - Host-side: what the host itself does (a server starting, libvirt, QEMU's own threads).
//     Not scaled: a slow guest does not slow them.
//   - Budgets: how much of a hung run wedge spends asking the guest for traces. Not scaled: the
//     guest is stuck by definition, a longer wait only delays the report.
// What stays where it is used, on purpose (host-side and local, none waits on the guest):
//   - poll and retry intervals of a loop (10-200 ms, the trace collector's 700 ms "dump stopped
//     growing"): they bound no outcome;
//   - a storage server's own tool timeouts and stop graces (nbd_server, tgtd_server,
//     ganesha_server, relay.h's connect): options of that server;
//   - the serial console's telnet timing (vm/serial_sysrq), the agent socket's write and
//     connect limits (vm/agent_channel.h), libvirt's keepalive (vm/libvirt/libvirt_calls);
//   - host tools run once: runuser (kvm_views), crash (traces/crash_tool), the pushgateway's
//     curl, kernel builds, git and bisect steps (harness/kernel, harness/bisect).
#pragma once

#include <chrono>

namespace wedge {

struct Timeouts {
  using ms = std::chrono::milliseconds;
  // [limits] stall_s when a scenario leaves it out (seconds of guest progress; scaled by stall()).
  static constexpr int kDefaultStallS = 10;
  // The guest kernel's hung-task report after this many seconds blocked (its default is 120),
  // well within the stall limit. The kernel's own timer on the guest clock: not scaled.
  static constexpr int kHungTaskTimeoutS = 10;

  double scale = 1.0;  // multiplies every guest wait below

  // --- Guest waits (scaled) ---
  ms boot_base{30000};            // domain start to agent hello
  ms agent_command_base{60000};   // a setup command in the guest (modprobe, mkswap, ...)
  ms guest_file_base{10000};      // a small guest file written or read (memory.max, a result)
  ms guest_counters_base{5000};   // memory.events / memory.peak read after the workload
  ms heartbeat_lost_base{10000};  // no agent heartbeat this long while armed: hang
  // A monitor-loop turn this long is a host event (TCG's vCPU threads load the host's CPUs).
  ms slow_monitor_turn_base{5000};
  // A hang whose task waits for RCU or a CPU: how long to wait for the kernel's RCU stall or
  // soft lockup report naming the spinning function before the title is final (the RCU stall
  // comes at most rcu_cpu_stall_timeout, 21 s, after the grace period began; the hung-task
  // warning at least 10 s after).
  ms spinning_cpu_report_base{12000};
  ms guest_clock_lag_base{5000};  // guest clock behind host by more than this: host starved it

  // --- Host-side (not scaled) ---
  // The agent still answers when its last heartbeat is this recent (it beats every second of
  // host time under TCG too).
  ms agent_recent{3000};
  ms server_start{10000};      // a host storage server answering on its port (and a restart)
  ms nbdkit_pause{5000};       // nbdkit acknowledging a pause or resume
  ms kvm_probe{6000};          // the KVM probe boot: a working KVM prints "Linux version" within a
                               // second; the answer is cached a day
  ms net_gate{5000};           // QEMU's network gate sockets appearing after the domain started
  ms libvirt_reconnect{1000};  // a lost libvirt connection is retried at most this often
  // A console report no line came to this long is complete: a stalled kernel may print
  // nothing after it (an RCU stall's trace has no end marker). A report comes out in one
  // burst; at the serial console's 11.5 KB/s even 20 KB keep bytes coming.
  ms console_report_quiet{3000};
  ms crash_report_grace{2000};  // after a crash message, the rest of it (same burst)
  ms min_stall_recorded{3000};  // shorter progress gaps are not worth recording
  // The host's storage server sent nothing this long while requests waited: it is the cause,
  // unless a sender in the guest is stuck mid-request (detect/server_silence.h).
  ms server_silent{5000};
  // ... and bytes toward it stayed queued this long (it stopped reading): it is the cause.
  ms server_unread{3000};
  // A confirmed deadlock (no progress, every vCPU halted, the device's in-flight requests and
  // the storage server all still) for this long is declared at once. The evidence is the
  // host's own (vCPU threads' CPU time, relay bytes), and the goal is <= 5 s under TCG.
  ms deadlock_confirm{3000};
  // How far back QEMU's CPU time is judged when the guest stops answering.
  ms starved_window{30000};
  // Host conditions held this long become an infra error (host_watch.h).
  ms channel_lost_grace{5000};  // a closed agent channel with no kernel failure on the console
  ms paused_grace{3000};        // paused from outside (not ioerror: that is at once)
  ms server_down_grace{3000};   // the storage server down (nbd-server respawns between sessions)
  // A matrix cell's `wedge run` child is killed this long after the scenario's duration_s:
  // image builds and boots under a loaded TCG host come on top of it.
  ms matrix_cell_slack{900000};

  // --- Budgets for traces of a hung guest (not scaled) ---
  ms trace_agent_sysrq{3000};     // the agent's sysrq-w / sysrq-t
  ms trace_task_scan{5000};       // the agent's /proc task scan (may block in reclaim)
  ms trace_module_symbols{3000};  // module symbols for vCPU addresses
  ms trace_kallsyms{20000};       // all of /proc/kallsyms when there is no System.map
  // A stack dump on the console after: the agent's sysrq-w, a host sysrq-w (send-key, serial),
  // a sysrq-t (every task), an NMI panic.
  ms trace_console_agent_sysrq{3000};
  ms trace_console_sysrq_w{4000};
  ms trace_console_sysrq_t{6000};
  ms trace_console_nmi{8000};

  [[nodiscard]] ms boot() const { return scaled(boot_base); }
  [[nodiscard]] ms agent_command() const { return scaled(agent_command_base); }
  [[nodiscard]] ms guest_file() const { return scaled(guest_file_base); }
  [[nodiscard]] ms guest_counters() const { return scaled(guest_counters_base); }
  [[nodiscard]] ms heartbeat_lost() const { return scaled(heartbeat_lost_base); }
  [[nodiscard]] ms slow_monitor_turn() const { return scaled(slow_monitor_turn_base); }
  [[nodiscard]] ms spinning_cpu_report() const { return scaled(spinning_cpu_report_base); }
  [[nodiscard]] ms guest_clock_lag() const { return scaled(guest_clock_lag_base); }
  // No progress for stall_s seconds of guest time is a hang; in host time under this scale.
  [[nodiscard]] ms stall(int stall_s = kDefaultStallS) const {
    return scaled(std::chrono::seconds(stall_s));
  }

  // TCG is slower at boot but a 1-vCPU guest answers quickly once up; 2x covers both.
  [[nodiscard]] static Timeouts for_accel(bool tcg) {
    Timeouts t;
    t.scale = tcg ? 2.0 : 1.0;
    return t;
  }

 private:
  [[nodiscard]] ms scaled(ms base) const {
    return ms(static_cast<long long>(static_cast<double>(base.count()) * scale));
  }
};

// A duration as the seconds the clock-free detectors count in.
[[nodiscard]] inline double in_seconds(std::chrono::milliseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace wedge
