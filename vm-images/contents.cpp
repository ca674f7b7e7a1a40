// Implementation of contents.h.
#include "vm-images/contents.h"

#include <algorithm>
#include <chrono>

#include "harness/util/process.h"
#include "vm-images/ldd.h"
#include "vm-images/stand_ins.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kPasswd = "root:x:0:0:root:/root:/bin/sh\n";
constexpr std::string_view kGroup = "root:x:0:\n";
constexpr std::string_view kHostname = "wedge\n";

// Enough for getprotobyname() in the storage clients (iscsiadm, mount.nfs, nbd-client).
constexpr std::string_view kProtocols =
    "ip\t0\tIP\n"
    "icmp\t1\tICMP\n"
    "tcp\t6\tTCP\n"
    "udp\t17\tUDP\n"
    "ipv6\t41\tIPv6\n"
    "ipv6-icmp\t58\tIPv6-ICMP\n";

// The ports of the transports wedge serves.
constexpr std::string_view kServices =
    "sunrpc\t\t111/tcp\t\tportmapper\n"
    "sunrpc\t\t111/udp\t\tportmapper\n"
    "nfs\t\t2049/tcp\n"
    "nfs\t\t2049/udp\n"
    "iscsi-target\t3260/tcp\n"
    "nbd\t\t10809/tcp\n";

// mount.nfs looks up its transports here (libtirpc).
constexpr std::string_view kNetconfig =
    "udp        tpi_clts      v     inet     udp     -       -\n"
    "tcp        tpi_cots_ord  v     inet     tcp     -       -\n"
    "udp6       tpi_clts      v     inet6    udp     -       -\n"
    "tcp6       tpi_cots_ord  v     inet6    tcp     -       -\n"
    "rawip      tpi_raw       -     inet      -      -       -\n"
    "local      tpi_cots_ord  -     loopback  -      -       -\n"
    "unix       tpi_cots_ord  -     loopback  -      -       -\n";

}  // namespace

void add_base_system(ImageTree& tree) {
  for (const char* dir : {"/proc", "/sys", "/dev", "/run", "/mnt", "/extra", "/var", "/etc", "/bin",
                          "/sbin", "/usr/bin", "/usr/sbin", "/lib"}) {
    tree.add_directory(dir, 0755);
  }
  tree.add_directory("/tmp", 01777);
  tree.add_directory("/root", 0700);
  tree.add_char_device("/dev/console", 0600, 5, 1);
  tree.add_char_device("/dev/null", 0666, 1, 3);
  tree.add_bytes("/etc/passwd", std::string(kPasswd));
  tree.add_bytes("/etc/group", std::string(kGroup));
  tree.add_bytes("/etc/hostname", std::string(kHostname));
  tree.add_bytes("/etc/protocols", std::string(kProtocols));
  tree.add_bytes("/etc/services", std::string(kServices));
  tree.add_bytes("/etc/netconfig", std::string(kNetconfig));
}

Status add_program(ImageTree& tree, const fs::path& host, const std::string& guest_path) {
  WEDGE_CHECK(tree.add_host_file(guest_path, host, 0755));
  return add_shared_libraries(tree, host);
}

Result<std::vector<std::string>> add_program_with_stand_ins(ImageTree& tree, const fs::path& host,
                                                            const std::string& guest_path,
                                                            const fs::path& stand_in_dir) {
  WEDGE_TRY(auto libs, libraries_with_stand_ins(host, stand_in_dir));
  if (!libs) {
    WEDGE_CHECK(add_program(tree, host, guest_path));
    return std::vector<std::string>{};
  }
  WEDGE_CHECK(tree.add_host_file(guest_path, host, 0755));
  std::vector<std::string> stood_in;
  for (const std::string& lib : *libs) {
    std::string guest = guest_library_path(lib, stand_in_dir);
    if (guest != lib) {
      stood_in.push_back(fs::path(lib).filename().string());
      // Never over another tool's real library: it serves this tool as well.
      if (tree.contains(guest)) continue;
    }
    WEDGE_CHECK(tree.add_host_file(guest, lib, 0755).context(fmt::format("for {}", host.string())));
  }
  return stood_in;
}

Status add_shared_libraries(ImageTree& tree, const fs::path& host) {
  WEDGE_TRY(std::vector<std::string> libs, shared_libraries(host));
  for (const std::string& lib : libs) {
    // Libraries are often symlinks (libgnutls.so.30 -> libgnutls.so.30.34.3); the guest
    // gets the content under the name the program asks for.
    WEDGE_CHECK(tree.add_host_file(lib, lib, 0755).context(fmt::format("for {}", host.string())));
  }
  return ok_status();
}

std::vector<std::string> parse_busybox_applets(std::string_view list_full) {
  std::vector<std::string> paths;
  while (!list_full.empty()) {
    auto nl = list_full.find('\n');
    std::string_view line = list_full.substr(0, nl);
    list_full.remove_prefix(nl == std::string_view::npos ? list_full.size() : nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    paths.push_back(normalise_guest_path(std::string(line)));
  }
  return paths;
}

Status add_busybox(ImageTree& tree, const fs::path& host_busybox,
                   const std::vector<std::string>& real_tools) {
  std::string guest = std::string(kHostBusybox);
  WEDGE_CHECK(add_program(tree, host_busybox, guest));
  WEDGE_TRY(CommandOutput list, run_checked({host_busybox.string(), "--list-full"}, 10s));
  for (const std::string& applet : parse_busybox_applets(list.out)) {
    std::string name = fs::path(applet).filename().string();
    bool is_real_tool = std::find(real_tools.begin(), real_tools.end(), name) != real_tools.end();
    if (is_real_tool || tree.contains(applet)) continue;
    tree.add_symlink(applet, guest);
  }
  return ok_status();
}

}  // namespace wedge::image
