// The run's storage::ServerGuests: boots a server guest from the run's own image and kernel
// (the client's command line, its own memory, disks and forwarded ports), records it in the
// run folder's <role>/ (console.log, events.jsonl, setup.log; their times count from the run's
// start), keeps its agent session pumped
// on a thread of its own, and destroys it when the transport lets it go. After the run, the
// findings of every server guest's console are the run's findings too, marked with the guest
// they happened in.
//
//   RunServerGuests guests(ctx, backend, image, kvm);
//   storage::TransportContext context{..., &guests};
//   ... after teardown: for (auto& f : guests.findings()) report.findings.push_back(f);
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/run/run_context.h"
#include "harness/run/stage_image.h"
#include "harness/storage/server_guest.h"
#include "harness/vm/vm.h"
#include "reports/report.h"

namespace wedge::run {

class RunServerGuests final : public storage::ServerGuests {
 public:
  RunServerGuests(RunContext& ctx, vm::Backend& backend, const ImageOutput& image, bool kvm)
      : ctx_(ctx), backend_(backend), image_(image), kvm_(kvm) {}

  Result<std::unique_ptr<storage::ServerGuest>> boot(const storage::ServerGuestSpec& spec) override;

  // What the server guests' consoles showed (crashes, hangs, warnings), each finding's
  // `guest` set to the guest's role; read after the guests are gone.
  [[nodiscard]] std::vector<reports::Finding> findings() const;
  // One line per server guest booted: name, memory, boot time.
  [[nodiscard]] std::vector<reports::ServerGuestRecord> records() const;
  // Why a server guest's kernel did not boot ("the server guest (server) did not boot: kernel
  // panic: ..."), once one panicked before its agent said hello: the run's boot failure.
  [[nodiscard]] const std::optional<std::string>& boot_failure() const { return boot_failure_; }

 private:
  RunContext& ctx_;
  vm::Backend& backend_;
  const ImageOutput image_;  // a copy: the image stage's output is gone before teardown
  bool kvm_;
  struct Booted {
    std::string role;
    std::filesystem::path console_log;
    reports::ServerGuestRecord record;
  };
  std::vector<Booted> booted_;
  std::optional<std::string> boot_failure_;
};

}  // namespace wedge::run
