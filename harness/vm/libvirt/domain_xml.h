// The libvirt domain XML for a VmSpec: a transient, disk-less guest booted straight from a
// kernel and initramfs, its serial console a loopback telnet server logged to a file, the
// agent on a virtio-serial port, QEMU's vmcoreinfo device for analysable memory dumps, and a
// user-mode network whose guest-to-host frames go through wedge's NetGate (two QEMU
// filter-redirector objects on unix sockets next to the agent socket). Built as a libxml2
// tree and serialised by it (escaping is libxml2's), so it is unit-tested without libvirt.
//
//   WEDGE_CHECK(validate_spec(spec));
//   std::string xml = build_domain_xml(spec);   // for virDomainCreateXML
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "harness/util/result.h"
#include "harness/vm/vm.h"

namespace wedge::vm {

// The XML namespace of wedge's <metadata> element (it holds VmSpec::owner).
inline constexpr std::string_view kMetadataNamespace = "https://wedge.invalid/xmlns";
inline constexpr std::string_view kMetadataPrefix = "wedge";
// The user-mode network's netdev as libvirt names it: "host" + the interface's alias.
inline constexpr std::string_view kNetAlias = "ua-wedge-net";
inline constexpr std::string_view kNetdevId = "hostua-wedge-net";
inline constexpr std::string_view kEmulator = "/usr/bin/qemu-system-x86_64";
// The interface models VmSpec::nic_model may name (libvirt's <model type>, QEMU's device).
inline constexpr std::array<std::string_view, 4> kNicModels = {"virtio", "e1000", "vmxnet3",
                                                               "rtl8139"};
// sockaddr_un::sun_path holds 108 bytes including the terminating NUL.
inline constexpr size_t kMaxSocketPath = 107;

// Checks what libvirt and QEMU would reject later with less clear messages: the name
// (prefix kDomainPrefix, then letters, digits, '.', '_', '-'), sizes, absolute paths,
// control characters and invalid UTF-8, the socket path length, the serial port (0
// allowed: not yet picked) and the NIC model (one of kNicModels).
[[nodiscard]] Status validate_spec(const VmSpec& spec);

// The unix sockets QEMU creates for the network gate, next to the agent socket and named after
// it ("agent.sock": "agent.gate-in.sock", "agent.gate-out.sock"): frames from the
// guest come out of from_guest, frames that passed go back in through to_network.
struct NetGateSockets {
  std::filesystem::path from_guest;
  std::filesystem::path to_network;
};
[[nodiscard]] NetGateSockets net_gate_sockets(const VmSpec& spec);

// wedge's metadata element (for virDomainSetMetadata, without namespace prefixes).
[[nodiscard]] std::string metadata_element(std::string_view owner, bool kept);

// What wedge's metadata element says (as virDomainGetMetadata returns it, with or without
// a namespace prefix): the owner text and whether the guest was kept (--keep-wedged).
struct WedgeMetadata {
  std::string owner;
  bool kept = false;
};
[[nodiscard]] WedgeMetadata parse_metadata(std::string_view xml);

// Builds the <domain> document for spec, whose serial_port must already be chosen and which
// validate_spec accepted. Every value taken from spec is escaped; an empty initrd or cmdline
// leaves out its element.
[[nodiscard]] std::string build_domain_xml(const VmSpec& spec);

}  // namespace wedge::vm
