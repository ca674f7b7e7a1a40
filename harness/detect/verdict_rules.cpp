// Implementation of verdict_rules.h.
#include "harness/detect/verdict_rules.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "harness/detect/task_roles.h"

namespace wedge::detect {

namespace {

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Digit runs (and hex runs that contain a digit: addresses) become "N".
std::string without_numbers(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    if (s.compare(i, 2, "0x") == 0) j += 2;
    bool digit = false;
    while (j < s.size() && is_hex_digit(s[j])) digit |= s[j++] <= '9';
    bool starts_word = i == 0 || !std::isalpha(static_cast<unsigned char>(s[i - 1])) ||
                       std::isdigit(static_cast<unsigned char>(s[i]));
    if (digit && starts_word && std::isdigit(static_cast<unsigned char>(s[i]))) {
      out += 'N';
      i = j;
    } else {
      out += s[i++];
    }
  }
  return out;
}

// A panic merely follows the report before it.
bool is_panic(const reports::Finding& f) { return f.report.starts_with("kernel panic"); }

int severity(const std::string& kind) {
  if (kind == "crash" || kind == "hang") return 0;  // kernel failures: earliest first
  if (kind == "oom_kill") return 1;
  if (kind == "data_loss") return 2;  // the data was wrong, not merely unreadable
  if (kind == "io_error") return 3;
  if (kind == "workload_failed") return 4;
  return 5;
}

}  // namespace

bool names_spinning_cpu(const reports::Finding& f) {
  return (f.report.starts_with("INFO: rcu detected stall") ||
          f.report.starts_with("BUG: soft lockup")) &&
         !f.blamed.empty();
}

std::string signature_of(const std::string& kind, const std::string& report,
                         const std::string& blamed) {
  std::string out = kind + "|" + without_numbers(report);
  if (!blamed.empty()) out += "|" + blamed;
  return out;
}

reports::Finding finding_from_event(const console::Event& e, const std::string& kind) {
  reports::Finding f;
  f.kind = kind;
  f.title = e.title;
  f.report = e.report.empty() ? e.title : e.report;
  f.blamed = e.blamed;
  f.detected_s = e.timestamp_s;
  f.evidence = fmt::format("console line {}", e.line);
  f.frames = e.frames;
  f.signature = signature_of(kind, f.report, f.blamed);
  return f;
}

bool is_storage_stall(console::EventKind kind) {
  return kind == console::EventKind::kNbdStuckRequest ||
         kind == console::EventKind::kNfsNotResponding || kind == console::EventKind::kIscsiTimeout;
}

std::optional<size_t> deciding_finding(const std::vector<reports::Finding>& findings,
                                       const std::function<bool(const reports::Finding&)>& counts) {
  std::optional<size_t> best;
  for (size_t i = 0; i < findings.size(); ++i) {
    const auto& f = findings[i];
    if (!counts(f)) continue;
    if (!best) {
      best = i;
      continue;
    }
    const auto& b = findings[*best];
    int fs = severity(f.kind), bs = severity(b.kind);
    bool better = fs < bs;
    if (fs == bs && fs == 0) {
      // A panic is the consequence of the report before it; a hang waiting for RCU (or for a
      // CPU) is the consequence of the CPU that keeps RCU from finishing, unless that hang
      // already names the CPU (revise_cpu_waiting_hangs).
      better = (is_panic(b) && !is_panic(f)) ||
               (b.kind == "hang" && waits_for_cpu(b.frames) &&
                !b.title.starts_with("CPU stuck in ") && names_spinning_cpu(f));
    }
    if (better) best = i;
  }
  return best;
}

reports::Verdict verdict_for_kind(const std::string& kind) {
  if (kind == "crash") return reports::Verdict::kCrash;
  if (kind == "hang") return reports::Verdict::kHang;
  if (kind == "oom_kill") return reports::Verdict::kUnexpectedOom;
  if (kind == "data_loss") return reports::Verdict::kDataLoss;
  if (kind == "io_error") return reports::Verdict::kIoError;
  if (kind == "workload_failed") return reports::Verdict::kWorkloadFailed;
  return reports::Verdict::kInfraError;
}

double seconds_after(const std::string& text, std::string_view marker) {
  size_t at = text.find(marker);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + marker.size(), nullptr);
}

double stuck_for_s(const console::Event& event) {
  if (event.kind == console::EventKind::kHungTask) {
    return seconds_after(event.detail, "for more than ");
  }
  if (event.kind == console::EventKind::kSoftLockup) {
    return seconds_after(event.detail, "stuck for ");
  }
  return 0;
}

}  // namespace wedge::detect
