// Implementation of stage_guest_setup.h.
#include "harness/run/stage_guest_setup.h"

#include "harness/agent/sample.h"
#include "harness/config/kinds.h"
#include "harness/run/session_guest_ops.h"
#include "harness/workload_kinds/guest_setup.h"

namespace wedge::run {

namespace {

using namespace std::chrono_literals;

// Memory caps and sysctls, all applied before the workload starts.
Status prepare_workload(RunContext& ctx, storage::GuestOps& guest) {
  const config::Scenario& scenario = ctx.scenario;
  auto& r = ctx.report;
  if (needs_cgroup(scenario)) {
    WEDGE_CHECK(workloads::make_workload_cgroup(guest, scenario.memory)
                    .context("creating the workload cgroup"));
    r.cgroup.used = true;
    r.cgroup.max_mib = scenario.memory.max_mib;
    r.cgroup.high_mib = scenario.memory.high_mib;
    r.cgroup.swap_max_mib = scenario.memory.swap_max_mib;
  }
  WEDGE_TRY(r.sysctl, workloads::apply_sysctls(guest, scenario.sysctl).context("[sysctl]"));
  return ok_status();
}

// From now on samples.jsonl carries the workload cgroup's memory.* and the storage device's
// inflight and stat. A file that cannot be watched (no swap accounting) is only logged.
void watch_guest_counters(RunContext& ctx, GuestSession& session, const storage::InUse& in_use) {
  auto paths =
      agent::watched_paths(ctx.report.cgroup.used ? workloads::kCgroupDir : "", in_use.device);
  if (paths.empty()) return;
  if (Status s = session.watch_guest_files(paths, ctx.timeouts.guest_file()); !s) {
    ctx.progress.step("not sampled: " + s.error().message());
  }
}

}  // namespace

bool needs_cgroup(const config::Scenario& s) {
  for (const auto& f : s.faults) {
    if (f.kind == config::FaultKind::kMemoryMax) return true;
  }
  return s.memory.wants_cgroup();
}

Result<GuestSetupOutput> set_up_guest(RunContext& ctx, GuestSession& session,
                                      const GuestSetupInput& input) {
  const config::Scenario& scenario = ctx.scenario;
  ctx.enter("guest setup");
  GuestSetupOutput out;
  {
    SessionGuestOps guest(session, ctx.progress, ctx.timeouts);
    const char* transport = config::name_of(scenario.storage.transport);
    auto attached = input.transport->attach(guest);
    if (!attached) {
      return attached.error().context(fmt::format("attaching {} storage in the guest", transport));
    }
    auto in_use = storage::put_to_use(guest, *attached, scenario.storage);
    if (!in_use) {
      return in_use.error().context(
          fmt::format("using {} storage as {}", transport, config::name_of(scenario.storage.use)));
    }
    out.in_use = *in_use;
    input.detector->absorb_io_errors_on(input.transport->redundant_devices());
    WEDGE_CHECK(prepare_workload(ctx, guest));
  }
  watch_guest_counters(ctx, session, out.in_use);
  WEDGE_TRY(out.argv, input.workload->argv(scenario, out.in_use));
  // The workload runs in its own cgroup so that memory caps and memory-max faults squeeze it
  // alone; the agent joins the cgroup and execs it (no shell).
  if (needs_cgroup(scenario)) out.argv = workloads::in_cgroup(out.argv);
  ctx.progress.step(fmt::format("workload: {}", fmt::join(out.argv, " ")));
  return out;
}

}  // namespace wedge::run
