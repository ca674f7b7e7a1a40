// Implementation of stage_traces.h.
#include "harness/run/stage_traces.h"

#include "harness/config/kinds.h"
#include "harness/detect/analyze.h"
#include "harness/detect/hang_title.h"
#include "harness/run/trace_collector.h"
#include "harness/storage/server_guest.h"
#include "harness/util/interrupt.h"

namespace wedge::run {

TracesOutput collect_pending_traces(RunContext& ctx, const TracesInput& input) {
  TracesOutput out;
  detect::Detector& detector = *input.detector;
  GuestSession& session = *input.session;
  const std::string outer_phase = ctx.phase;
  while (auto index = detector.take_trace_request()) {
    if (interrupted()) break;
    ctx.enter("traces");
    // A copy: collecting traces pumps the guest, and new findings may move the vector.
    const reports::Finding f = detector.findings()[*index];
    ctx.progress.finish_status();
    ctx.progress.step(fmt::format("{}: {} - collecting traces", f.kind, f.title));
    TraceOptions to;
    to.agent_alive =
        ctx.now_s() - session.last_heartbeat_s() < in_seconds(ctx.timeouts.agent_recent);
    to.crash = f.kind == "crash";
    to.memory_dump = ctx.options.memory_dump;
    to.nmi_last_resort = ctx.options.nmi_last_resort;
    TraceCollector collector(session, *input.vm, ctx.run_dir, [&ctx] { return ctx.now_s(); });
    TraceResult tr = collector.collect(*index, to, [&] { detector.expect_nmi_panic(); });
    // One title builder for live runs and `wedge analyze` (detect/hang_title.h): the cause
    // (a vCPU stuck in one function, a task the others wait on, a silent server) names the
    // hang; a hang found by silence without one is named by its biggest group of waiters.
    detect::HangEvidence evidence;
    evidence.stacks = detect::report_stacks(tr.tasks);
    evidence.stuck_function = tr.stuck_function;
    evidence.busy_function = tr.busy_function;
    evidence.server_transport = input.transport->servers().empty()
                                    ? std::string()
                                    : std::string(config::name_of(ctx.scenario.storage.transport));
    evidence.subkind = tr.subkind;
    std::chrono::duration<double> server_silent = ctx.timeouts.server_silent;
    if (input.host->server_silence().silent_with_requests_s(f.detected_s.value_or(ctx.now_s())) >=
        server_silent.count()) {
      evidence.silent_server = config::name_of(ctx.scenario.storage.transport);
    }
    detect::HangTitle title = detect::hang_title_after_traces(f, evidence);
    std::vector<reports::StackGroup> stacks = std::move(evidence.stacks);
    if (!title.subkind.empty()) tr.subkind = title.subkind;
    detector.attach_traces(*index, ctx.now_s(), tr.routes, stacks, tr.subkind, title.title);
    for (const auto& problem : tr.problems) ctx.progress.step("  trace route failed: " + problem);
    // A kernel serving the storage: its blocked tasks too, into its own console.log.
    for (storage::Server* server : input.transport->servers()) {
      storage::ServerGuest* guest = server->server_guest();
      if (guest == nullptr) continue;
      if (auto dumped = guest->dump_blocked_tasks(); !dumped) {
        ctx.progress.step("  server guest's blocked tasks: " + dumped.error().message());
      }
    }
    ctx.progress.step(
        fmt::format("traces in {} via {} ({} tasks{})", tr.dir.string(),
                    tr.routes.empty() ? "no route" : fmt::format("{}", fmt::join(tr.routes, ", ")),
                    tr.tasks.size(), tr.subkind.empty() ? "" : ", " + tr.subkind));
    ++out.collected;
  }
  if (!interrupted()) ctx.phase = outer_phase;  // an interrupted collection reports "traces"
  return out;
}

}  // namespace wedge::run
