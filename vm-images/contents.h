// What every guest image holds besides kernel modules: the directory skeleton, device
// nodes, /etc files, busybox with its applet links, and host programs with their libraries.
//
//   ImageTree tree;
//   add_base_system(tree);
//   WEDGE_CHECK(add_program(tree, "/usr/sbin/nbd-client", "/usr/sbin/nbd-client"));
//   WEDGE_CHECK(add_busybox(tree, "/bin/busybox", {"nbd-client"}));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"
#include "vm-images/image_tree.h"

namespace wedge::image {

// Where busybox-static installs its binary.
inline constexpr std::string_view kHostBusybox = "/bin/busybox";

// Directories, /dev/console and /dev/null (init needs a console before devtmpfs is
// mounted), /etc/passwd, group, hostname, protocols, services, netconfig.
void add_base_system(ImageTree& tree);

// Copies a host program to guest_path (mode 0755) with every shared library ldd names,
// each at its host path, plus the dynamic loader.
[[nodiscard]] Status add_program(ImageTree& tree, const std::filesystem::path& host,
                                 const std::string& guest_path);

// Like add_program, but the libraries the stand-ins in stand_in_dir replace (stand_ins.h) go
// in as stand-ins when they serve every symbol the program needs; otherwise the real ones.
// A stand-in never replaces a library the tree holds already, and a real library added later
// replaces the stand-in (add_program). Returns the sonames the stand-ins served (none: the
// real libraries went in).
[[nodiscard]] Result<std::vector<std::string>> add_program_with_stand_ins(
    ImageTree& tree, const std::filesystem::path& host, const std::string& guest_path,
    const std::filesystem::path& stand_in_dir);

// Only the libraries of add_program (a static program or a script has none): for a file
// the tree already holds under another path, such as a scenario's own executable in /extra.
[[nodiscard]] Status add_shared_libraries(ImageTree& tree, const std::filesystem::path& host);

// Parses `busybox --list-full` ("usr/bin/[", "sbin/modprobe", ...) into absolute paths.
std::vector<std::string> parse_busybox_applets(std::string_view list_full);

// /bin/busybox plus a symlink to it for every applet, except where the tree already has a
// file or a program named like the applet is in real_tools (a real nbd-client wins).
[[nodiscard]] Status add_busybox(ImageTree& tree, const std::filesystem::path& host_busybox,
                                 const std::vector<std::string>& real_tools);

}  // namespace wedge::image
