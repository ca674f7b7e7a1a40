// Runs wedge's guests as the unprivileged QEMU user, without touching how other guests on the
// host run: each wedge domain carries a static DAC <seclabel> for that user with relabelling
// off, and wedge itself gives QEMU what it opens. QEMU gets a folder of its own (a wedge temp
// dir, group-owned by the QEMU user) holding the agent and network-gate sockets and the boot
// files (hard links, or copies when the cache's files are not world-readable); the run's
// virtio disks and 9p folders are handed to the QEMU group. A path QEMU could not reach (a
// run dir under a 0700 home) is refused up front, naming the folder in the way.
//
//   WEDGE_TRY(QemuUser user, find_qemu_user(kQemuUserName));
//   WEDGE_TRY(QemuFiles files, give_to_qemu(spec, user));
//   std::string xml = build_domain_xml(files.spec);     // seclabel, staged paths
//   ... virDomainCreateXML ...
//   files.drop_boot_files();                            // QEMU has read them
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/path_access.h"
#include "harness/util/result.h"
#include "harness/vm/qemu_user.h"
#include "harness/vm/vm.h"

namespace wedge::vm {

using QemuUser = Account;

// The user (find_account); an error naming ci/setup.sh when absent.
[[nodiscard]] Result<QemuUser> find_qemu_user(const std::string& name);

// What a started QEMU is given; the folder goes away with this object.
struct QemuFiles {
  TempDir dir;
  VmSpec spec;                                // spec with run_as, boot files and sockets in dir
  std::vector<std::filesystem::path> staged;  // the boot files' links or copies
  // QEMU reads the kernel and initrd once, at start: their links or copies can go then.
  void drop_boot_files();
};

// Makes dir, stages the boot files, moves the sockets into it, hands the disks and shared
// folders to the user's group (disks 0660, folders 0770) and checks QEMU can reach each.
[[nodiscard]] Result<QemuFiles> give_to_qemu(const VmSpec& spec, const QemuUser& user);

}  // namespace wedge::vm
