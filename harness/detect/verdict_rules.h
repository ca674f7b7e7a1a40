// One set of rules for live runs (Detector) and `wedge analyze`: which console event is which
// finding, its stable signature, and which finding decides the verdict (root cause over
// consequence: the first kernel report wins, a panic never outranks the report that caused it,
// and a hang waiting for RCU yields to the stall or lockup that names the spinning function).
//
//   reports::Finding f = finding_from_event(event, "hang");   // title, frames, signature
//   auto i = deciding_finding(findings, [](const auto&) { return true; });
//   reports::Verdict v = verdict_for_kind(findings[*i].kind);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"
#include "reports/report.h"

namespace wedge::detect {

// "kind|report|frame" with numbers and addresses replaced by "N", so that the same bug gets
// the same signature on every run: signature_of("hang", "nbd: stuck on nbd0", "") ==
// "hang|nbd: stuck on nbdN".
[[nodiscard]] std::string signature_of(const std::string& kind, const std::string& report,
                                       const std::string& blamed);

// A finding of `kind` from a console event: title, frames, evidence line, signature.
[[nodiscard]] reports::Finding finding_from_event(const console::Event& event,
                                                  const std::string& kind);

// Messages that show storage stopped answering: nbd stuck requests, NFS servers not
// responding, iSCSI timeouts. Each is a hang when nothing else named one.
[[nodiscard]] bool is_storage_stall(console::EventKind kind);

// The finding the verdict names among those counts() accepts, in the order they were found;
// nullopt when none counts.
[[nodiscard]] std::optional<size_t> deciding_finding(
    const std::vector<reports::Finding>& findings,
    const std::function<bool(const reports::Finding&)>& counts);

// "crash" -> kCrash, "hang" -> kHang, "oom_kill" -> kUnexpectedOom, "io_error" -> kIoError,
// "workload_failed" -> kWorkloadFailed.
[[nodiscard]] reports::Verdict verdict_for_kind(const std::string& kind);

// The number of seconds after `marker` in text ("Runtime 30 seconds", "Runtime ") -> 30; 0 when
// the marker is absent.
[[nodiscard]] double seconds_after(const std::string& text, std::string_view marker);

// How long the message says its task or CPU has been stuck: a hung task's "blocked for more
// than N seconds" (the watchdog's timeout, so at least that long), a soft lockup's "stuck for
// Ns"; 0 for other events. The hang began at least that long before the message.
[[nodiscard]] double stuck_for_s(const console::Event& event);

// The kernel's own report names a CPU spinning in a function (a soft lockup or RCU stall with a
// blamed frame): its title already says where the CPU is stuck.
[[nodiscard]] bool names_spinning_cpu(const reports::Finding& f);

}  // namespace wedge::detect
