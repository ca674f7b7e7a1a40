// The files of a run directory that live only while the run does (sockets, the per-run
// initrd, the export image): one list, recorded in the run's lease for `wedge gc` and removed
// by teardown.
//
//   spec.agent_socket = run_dir / kAgentSocket;
//   for (const auto& name : transient_files(options.keep_export)) fs::remove(run_dir / name);
#pragma once

#include <string>
#include <vector>

namespace wedge::run {

inline constexpr const char* kAgentSocket = "agent.sock";
inline constexpr const char* kInitrdWithExtras = "initrd-with-extras.cpio";
inline constexpr const char* kConsoleLog = "console.log";

// keep_export false: the export image too.
[[nodiscard]] inline std::vector<std::string> transient_files(bool keep_export) {
  // The libvirt backend puts its network gate's sockets next to the agent's (net_gate.h).
  std::vector<std::string> names = {kAgentSocket, "agent.gate-in.sock", "agent.gate-out.sock",
                                    kInitrdWithExtras};
  if (!keep_export) names.push_back("export.img");
  return names;
}

}  // namespace wedge::run
