// Every timeout wedge uses, in one place, with one scale factor: TCG guests run
// several times slower than KVM ones, so the run scales all guest-facing waits together.
//
//   Timeouts t = Timeouts::for_accel(is_tcg);  t.boot() -> 60 s under TCG
#pragma once

#include <chrono>

namespace wedge {

struct Timeouts {
  using ms = std::chrono::milliseconds;
  double scale = 1.0;  // multiplies every guest-facing wait below

  ms boot_base{30000};           // domain start to agent hello
  ms agent_command_base{60000};  // a setup command in the guest (modprobe, mkswap, ...)
  ms heartbeat_lost_base{5000};  // no heartbeat this long: the agent is stuck
  ms stall_base{10000};          // no progress this long: hang (scenario may override)
  ms server_start{10000};        // a host storage server answering on its port (host-side)
  ms teardown{10000};            // destroying a domain, stopping a server (host-side)
  ms kvm_probe{6000};            // the KVM probe boot (host-side): a working KVM prints
                                 // "Linux version" within a second; the answer is cached a day
  // A hang whose task waits for RCU or a CPU: how long to wait for the kernel's RCU stall or
  // soft lockup report naming the spinning function before the title is final (the RCU stall
  // comes at most rcu_cpu_stall_timeout, 21 s, after the grace period began; the hung-task
  // warning at least 10 s after).
  ms spinning_cpu_report_base{12000};
  // A console report no line came to this long is complete: a stalled kernel may print
  // nothing after it (an RCU stall's trace has no end marker). Host-side: a report comes out
  // in one burst; at the serial console's 11.5 KB/s even 20 KB keep bytes coming.
  ms console_report_quiet{3000};
  // The host's storage server sent nothing this long while requests waited: it is the cause.
  ms server_silent{5000};
  // A confirmed deadlock (no progress, every vCPU halted, the device's in-flight requests and
  // the storage server all still) for this long is declared at once. Not scaled: the evidence
  // is the host's own (vCPU threads' CPU time, relay bytes), and the goal is <= 5 s under TCG.
  ms deadlock_confirm{3000};
  // How far back QEMU's CPU time is judged when the guest stops answering (host-side).
  ms starved_window{30000};
  ms guest_clock_lag_base{5000};  // guest clock behind host by more than this: host starved it

  [[nodiscard]] ms guest_clock_lag() const { return scaled(guest_clock_lag_base); }

  [[nodiscard]] ms boot() const { return scaled(boot_base); }
  [[nodiscard]] ms agent_command() const { return scaled(agent_command_base); }
  [[nodiscard]] ms heartbeat_lost() const { return scaled(heartbeat_lost_base); }
  [[nodiscard]] ms stall() const { return scaled(stall_base); }
  [[nodiscard]] ms spinning_cpu_report() const { return scaled(spinning_cpu_report_base); }

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

}  // namespace wedge
