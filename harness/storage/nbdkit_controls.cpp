// Implementation of nbdkit_controls.h.
#include "harness/storage/nbdkit_controls.h"

#include <fmt/format.h>

#include <optional>

namespace wedge::storage {

using config::FaultKind;

NbdkitControls nbdkit_controls_for(const std::vector<config::FaultConfig>& faults,
                                   const std::filesystem::path& control_dir) {
  NbdkitControls setup;
  bool pause = false;
  bool rate = false;
  std::optional<double> error_rate;
  for (const config::FaultConfig& f : faults) {
    if (f.kind == FaultKind::kServerStall && f.via == "pause") pause = true;
    if (f.kind == FaultKind::kRate && f.via == "nbdkit") rate = true;
    if (f.kind == FaultKind::kError && !error_rate) error_rate = f.param("error_rate");
  }
  // Outermost first: a paused request waits before it is rate-limited or failed.
  if (pause) {
    // nbdkit creates the socket: in a folder of the server user's (NbdServer::start makes it).
    setup.pause_socket = control_dir / "nbdkit-control" / "pause.sock";
    setup.filters.push_back("pause");
    setup.params.push_back("pause-control=" + setup.pause_socket.string());
  }
  if (rate) {
    // No rate= parameter: unlimited until the file says otherwise.
    setup.rate_file = control_dir / "nbdkit-rate";
    setup.filters.push_back("rate");
    setup.params.push_back("rate-file=" + setup.rate_file.string());
  }
  if (error_rate) {
    setup.error_file = control_dir / "nbdkit-error";
    setup.filters.push_back("error");
    setup.params.push_back(fmt::format("error-rate={}", *error_rate));
    setup.params.push_back("error-file=" + setup.error_file.string());
  }
  return setup;
}

}  // namespace wedge::storage
