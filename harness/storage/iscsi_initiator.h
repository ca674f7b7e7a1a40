// The guest side of iSCSI as data: the open-iscsi commands wedge runs in the guest (argv
// only) and the pure parsers for what they answer. No I/O here; iscsi_transport.cpp runs them.
//
//   IscsiNode node{"/usr/sbin/iscsiadm", "iqn.2025-01.io.wedge:export-0", "10.0.2.2:40123,1"};
//   guest.run(node.create());  guest.run(node.login());
//   std::optional<std::string> disk = storage::attached_disk(session_p3_output, node.target);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wedge::storage {

// The IQN wedge gives export `index` (RAID1 legs 0 and 1 are two targets, told apart by name).
[[nodiscard]] std::string iscsi_target_name(int index);

// "10.0.2.2:PORT,1": the host's portal as the guest reaches it, portal group 1 (tgtd's).
[[nodiscard]] std::string iscsi_portal(int guest_port);

// One node record: a target at a portal, and what iscsiadm does with it.
struct IscsiNode {
  std::string iscsiadm;  // absolute guest path
  std::string target;    // IQN
  std::string portal;    // iscsi_portal()

  // Creates the record directly: SendTargets discovery would answer with the host's own
  // 127.0.0.1 portal, which the guest cannot reach.
  [[nodiscard]] std::vector<std::string> create() const;
  [[nodiscard]] std::vector<std::string> login() const;
  // Scans the session's LUNs again (the scan after login runs in the background).
  [[nodiscard]] std::vector<std::string> rescan() const;
  // Every session, with its attached disks (print level 3).
  [[nodiscard]] std::vector<std::string> sessions() const;
};

// Pure: the disk ("sda") attached through the session to `target`, from the output of
// `iscsiadm -m session -P 3`; nullopt while the LUN scan has not attached one.
[[nodiscard]] std::optional<std::string> attached_disk(std::string_view sessions_p3,
                                                       std::string_view target);

// Pure: true when /proc/net/unix (its text) shows iscsid's management socket, i.e. iscsid
// runs and takes iscsiadm's requests.
[[nodiscard]] bool iscsid_listening(std::string_view proc_net_unix);

}  // namespace wedge::storage
