// The kernel NVMe over TCP target (nvmet, nvmet-tcp) set up in a guest through configfs, and
// the host side's connect through /dev/nvme-fabrics: no nvmetcli, no nvme-cli. The steps are
// pure data (tested on their own); apply_steps runs them through GuestOps.
//
//   WEDGE_CHECK(apply_steps(server.ops(), nvmet_target_steps({kNqn, "/dev/vda", 4420})));
//   WEDGE_CHECK(client.write_file("/dev/nvme-fabrics", nvme_connect_options("10.0.2.2", port,
//   kNqn))); WEDGE_TRY(std::string dev, find_nvme_namespace(client, kNqn, timeout));   //
//   "/dev/nvme0n1"
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/storage/driver.h"
#include "harness/storage/guest_ops.h"
#include "harness/util/result.h"

namespace wedge::storage {

// The target (in the server guest) and the host (in the client).
inline const Driver kNvmetTcp{"nvmet_tcp"};
inline const Driver kNvmeTcp{"nvme_tcp"};

inline constexpr const char* kConfigfs = "/sys/kernel/config";
inline constexpr int kNvmeTcpPort = 4420;

struct NvmetExport {
  std::string nqn;     // "nqn.2026-12.io.wedge:export0"
  std::string device;  // the namespace's backing device in the server guest: "/dev/vda"
  int port = kNvmeTcpPort;
  int port_id = 1;  // the configfs port's number
};

// One configfs step: make a directory, write an attribute, or link a subsystem to a port.
struct ConfigStep {
  enum class Kind { kMkdir, kWrite, kSymlink };
  Kind kind = Kind::kMkdir;
  std::string path;
  std::string value;  // kWrite: the attribute's text; kSymlink: the link's target
  bool operator==(const ConfigStep&) const = default;
};

// The subsystem (any host may connect), its namespace 1 on the device, enabled, and a TCP port
// on 0.0.0.0:port with the subsystem linked to it. configfs must be mounted at kConfigfs.
[[nodiscard]] std::vector<ConfigStep> nvmet_target_steps(const NvmetExport& e);

// Runs the steps in order (busybox mkdir and ln, agent file writes); an error names the step.
[[nodiscard]] Status apply_steps(GuestOps& guest, const std::vector<ConfigStep>& steps);

// Mounts configfs at kConfigfs unless /proc/mounts shows it there.
[[nodiscard]] Status ensure_configfs(GuestOps& guest);

// What the host writes to /dev/nvme-fabrics to connect.
[[nodiscard]] std::string nvme_connect_options(const std::string& address, int port,
                                               const std::string& nqn);

// The namespace block device of the controller connected to nqn ("/dev/nvme0n1"), waiting
// until it appears: the subsystem's shared namespace (native multipath) or the controller's.
[[nodiscard]] Result<std::string> find_nvme_namespace(GuestOps& guest, const std::string& nqn,
                                                      std::chrono::milliseconds timeout);

}  // namespace wedge::storage
