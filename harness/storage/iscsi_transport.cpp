// transport = "iscsi": an export file on the host served as an iSCSI LUN by tgtd behind wedge's
// relay; in the guest, open-iscsi's iscsid and iscsiadm log in through user-mode networking
// and the LUN appears as /dev/sd<X>.
#include "harness/storage/export_file.h"
#include "harness/storage/guest_driver.h"
#include "harness/storage/iscsi_initiator.h"
#include "harness/storage/served_transport.h"
#include "harness/storage/tgtd_server.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace {

using config::FaultNeed;

constexpr const char* kBusybox = "/bin/busybox";

// The initiator (built in, its parameters show it in /sys/module), and the SCSI disk driver its
// LUN attaches to: sd_mod has no parameters, so a built-in one shows only in /proc/devices.
const Driver kIscsiTcp{"iscsi_tcp"};
const Driver kSdMod{"sd_mod", {}, {{"/proc/devices", "sd"}}};

// iscsid and iscsiadm refuse to work without these: iscsid checks that the peer of its
// management socket is the user "root" (getpwuid), and every initiator needs a name.
ImageNeeds initiator_needs() {
  return {{"iscsid", "iscsiadm"},
          {kIscsiTcp, kSdMod},
          {{"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
           {"/etc/group", "root:x:0:\n"},
           {"/etc/iscsi/initiatorname.iscsi", "InitiatorName=iqn.2025-01.io.wedge:guest\n"}},
          {},
          // libcrypto (CHAP; the target asks for none) and libsystemd (sd_notify) with what
          // they pull in are 7 MB of pinned guest RAM.
          {"iscsid", "iscsiadm"}};
}

// Starts iscsid unless it runs already (the other RAID1 leg started it); returns once it takes
// iscsiadm's requests.
Status ensure_iscsid(GuestOps& guest) {
  auto listening = [&guest]() -> Result<bool> {
    WEDGE_TRY(std::string sockets, guest.read_file("/proc/net/unix", 1 << 20));
    return iscsid_listening(sockets);
  };
  WEDGE_TRY(bool running, listening());
  if (running) return ok_status();
  // iscsiadm's lock directory and node database.
  WEDGE_CHECK(guest.run({kBusybox, "mkdir", "-p", "/run/lock/iscsi", "/etc/iscsi/nodes"}));
  WEDGE_TRY(auto iscsid, find_executable("iscsid"));
  WEDGE_TRY(uint32_t job, guest.start("iscsid", {iscsid.string(), "-f"}));
  return wait_in_guest(
      guest,
      [&]() -> Result<bool> {
        if (auto out = guest.exited(job)) return make_error("iscsid exited: {}", *out);
        return listening();
      },
      guest.command_timeout(), "iscsid in the guest");
}

// The disk the LUN scan attached for node.target ("sdb").
Result<std::string> wait_for_disk(GuestOps& guest, const IscsiNode& node) {
  std::string disk;
  WEDGE_CHECK(wait_in_guest(
      guest,
      [&]() -> Result<bool> {
        WEDGE_TRY(std::string sessions, guest.run(node.sessions()));
        std::optional<std::string> found = attached_disk(sessions, node.target);
        if (found) disk = *found;
        return found.has_value();
      },
      guest.command_timeout(), fmt::format("a disk for {}", node.target)));
  return disk;
}

class IscsiTransport final : public ServedTransport<TgtdServer> {
 public:
  IscsiTransport(const config::Scenario& scenario, int export_index)
      : ServedTransport("iscsi"), storage_(scenario.storage), index_(export_index) {}

  ImageNeeds image_needs() const override { return initiator_needs(); }
  std::vector<std::string> host_programs() const override { return {"tgtd", "tgtadm"}; }

 private:
  std::filesystem::path data_in(const TransportContext& context) const override {
    return export_file_in(context.run_dir, index_);
  }

  Result<std::unique_ptr<TgtdServer>> start_server(const TransportContext& context,
                                                   const std::filesystem::path& data) override {
    TgtdServerOptions so;
    so.binary = storage_.server_binary;
    so.export_file = data;
    so.size_bytes = static_cast<uint64_t>(storage_.size_mib) << 20;
    so.work_dir = served_work_dir(context.run_dir, index_);
    so.target = iscsi_target_name(index_);
    return TgtdServer::start(so, context.timeouts.server_start);
  }

  Result<Attached> attach_to(GuestOps& guest, TgtdServer& server) override {
    WEDGE_CHECK(ensure_drivers(guest, {kIscsiTcp, kSdMod}));
    WEDGE_CHECK(ensure_iscsid(guest));
    WEDGE_TRY(auto iscsiadm, find_executable("iscsiadm"));
    IscsiNode node{iscsiadm.string(), server.target(), iscsi_portal(server.guest_port())};
    guest.say(fmt::format("guest: iSCSI login to {} at {}", node.target, node.portal));
    WEDGE_CHECK(guest.run(node.create()).context("creating the node record"));
    WEDGE_CHECK(guest.run(node.login()).context("logging in"));
    // The scan after login runs in iscsid's background; this one returns when it is done.
    WEDGE_CHECK(guest.run(node.rescan()).context("scanning the target's LUNs"));
    WEDGE_TRY(std::string disk, wait_for_disk(guest, node));
    return Attached{"/dev/" + disk, ""};
  }

  std::string idle_description() const override { return "tgtd"; }

  const config::StorageConfig storage_;
  const int index_;
};

std::vector<FaultNeed> capabilities(const config::StorageConfig&) {
  return {FaultNeed::kRelay, FaultNeed::kServerProcess};
}

}  // namespace

const TransportEntry& iscsi_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kIscsi,
                                    .file_transport = false,
                                    .mirrors = true,
                                    .servers = {"tgtd"},
                                    .capabilities = capabilities,
                                    .make = make_transport<IscsiTransport>,
                                    .kconfig_fragment = "iscsi"};
  return entry;
}

}  // namespace wedge::storage
