// The libvirt domain XML for a VmSpec: a transient, disk-less guest booted straight from a
// kernel and initramfs, its serial console a loopback telnet server logged to a file, the
// agent on a virtio-serial port, and QEMU's vmcoreinfo device for analysable memory dumps.
// Pure string building, so it is unit-tested without libvirt.
//
//   WEDGE_CHECK(validate_spec(spec));
//   std::string xml = build_domain_xml(spec);   // for virDomainCreateXML
#pragma once

#include <string>
#include <string_view>

#include "harness/util/result.h"
#include "harness/vm/vm.h"

namespace wedge::vm {

// The XML namespace of wedge's <metadata> element (it holds VmSpec::owner).
inline constexpr std::string_view kMetadataNamespace = "https://wedge.invalid/xmlns";
inline constexpr std::string_view kEmulator = "/usr/bin/qemu-system-x86_64";
// sockaddr_un::sun_path holds 108 bytes including the terminating NUL.
inline constexpr size_t kMaxSocketPath = 107;

// Escapes text for XML character data and for attribute values in either quote style:
// xml_escape("a<b") == "a&lt;b". Characters XML 1.0 cannot carry at all (C0 controls other
// than tab, newline and carriage return) are dropped; validate_spec rejects them first.
[[nodiscard]] std::string xml_escape(std::string_view text);

// Checks what libvirt and QEMU would reject later with less clear messages: the name
// (prefix kDomainPrefix, then letters, digits, '.', '_', '-'), sizes, absolute paths,
// control characters, the socket path length, and the serial port (0 allowed: not yet picked).
[[nodiscard]] Status validate_spec(const VmSpec& spec);

// Builds the <domain> document for spec, whose serial_port must already be chosen. Every value
// taken from spec is escaped; an empty initrd or cmdline leaves out its element.
[[nodiscard]] std::string build_domain_xml(const VmSpec& spec);

}  // namespace wedge::vm
