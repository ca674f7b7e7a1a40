// Implementation of domain_xml.h.
#include "harness/vm/libvirt/domain_xml.h"

#include <fmt/format.h>

#include "harness/util/text.h"
#include "workloads/agent/protocol.h"

namespace wedge::vm {

namespace {

bool is_forbidden_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Status check_text(std::string_view what, std::string_view text) {
  for (unsigned char c : text) {
    if (is_forbidden_control(c)) {
      return make_error("{} contains control character 0x{:02x}", what, static_cast<int>(c));
    }
  }
  return ok_status();
}

Status check_path(std::string_view what, const std::filesystem::path& path, bool required) {
  if (path.empty()) {
    if (required) return make_error("{} is not set", what);
    return ok_status();
  }
  if (!path.is_absolute())
    return make_error("{} must be an absolute path: {}", what, path.string());
  return check_text(what, path.string());
}

// A value inside a QEMU -chardev/-object option: commas are doubled.
std::string qemu_option_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// The text of the first <tag> or <prefix:tag> element in xml ("" if none).
std::string element_text(std::string_view xml, std::string_view tag) {
  size_t at = 0;
  while ((at = xml.find('<', at)) != std::string_view::npos) {
    size_t name_end = xml.find_first_of(" >/", at);
    if (name_end == std::string_view::npos) return "";
    std::string_view name = xml.substr(at + 1, name_end - at - 1);
    if (size_t colon = name.find(':'); colon != std::string_view::npos)
      name.remove_prefix(colon + 1);
    size_t open_end = xml.find('>', at);
    if (name == tag && open_end != std::string_view::npos && xml[open_end - 1] != '/') {
      size_t close = xml.find("</", open_end);
      if (close == std::string_view::npos) return "";
      return std::string(xml.substr(open_end + 1, close - open_end - 1));
    }
    at = name_end;
  }
  return "";
}

}  // namespace

std::string xml_escape(std::string_view text) { return markup_escape(text); }
NetGateSockets net_gate_sockets(const VmSpec& spec) {
  // Named after the agent socket, so guests sharing a folder never share these; short, because
  // the run dir of a matrix or compare run is deep and unix socket paths stop at 107 bytes.
  std::filesystem::path base = spec.agent_socket;
  base.replace_extension();
  return {base.string() + ".gate-in.sock", base.string() + ".gate-out.sock"};
}

std::string metadata_element(std::string_view owner, bool kept) {
  return fmt::format("<instance><owner>{}</owner><kept>{}</kept></instance>", xml_escape(owner),
                     kept ? "yes" : "no");
}

WedgeMetadata parse_metadata(std::string_view xml) {
  WedgeMetadata m;
  m.owner = element_text(xml, "owner");
  for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"&lt;", "<"},
                          {"&gt;", ">"},
                          {"&quot;", "\""},
                          {"&apos;", "'"},
                          {"&amp;", "&"}}) {
    for (size_t at; (at = m.owner.find(from)) != std::string::npos;)
      m.owner.replace(at, from.size(), to);
  }
  m.kept = element_text(xml, "kept") == "yes";
  return m;
}

Status validate_spec(const VmSpec& spec) {
  if (!spec.name.starts_with(kDomainPrefix) || spec.name.size() == kDomainPrefix.size()) {
    return make_error("domain name '{}' must start with '{}' followed by an id", spec.name,
                      kDomainPrefix);
  }
  for (char c : spec.name) {
    if (!is_name_char(c)) {
      return make_error("domain name '{}' may only hold letters, digits, '.', '_' and '-'",
                        spec.name);
    }
  }
  if (spec.memory_mib < 16) return make_error("memory_mib {} is below 16", spec.memory_mib);
  if (spec.vcpus < 1) return make_error("vcpus {} is below 1", spec.vcpus);
  WEDGE_CHECK(check_path("kernel", spec.kernel, true));
  WEDGE_CHECK(check_path("initrd", spec.initrd, false));
  WEDGE_CHECK(check_path("console_log", spec.console_log, true));
  WEDGE_CHECK(check_path("agent_socket", spec.agent_socket, true));
  if (spec.agent_socket.string().size() > kMaxSocketPath) {
    return make_error("agent_socket path is {} bytes, unix sockets allow at most {}: {}",
                      spec.agent_socket.string().size(), kMaxSocketPath,
                      spec.agent_socket.string());
  }
  if (spec.serial_port < 0 || spec.serial_port > 65535) {
    return make_error("serial_port {} is not a TCP port", spec.serial_port);
  }
  for (int port : spec.host_ports) {
    if (port < 1 || port > 65535) return make_error("host port {} is not a TCP port", port);
  }
  const NetGateSockets net = net_gate_sockets(spec);
  for (const auto& socket : {net.from_guest, net.to_network}) {
    if (socket.string().size() > kMaxSocketPath) {
      return make_error("network gate socket {} is longer than unix sockets allow ({} bytes)",
                        socket.string(), kMaxSocketPath);
    }
  }
  WEDGE_CHECK(check_text("cmdline", spec.cmdline));
  WEDGE_CHECK(check_text("owner", spec.owner));
  return ok_status();
}

std::string build_domain_xml(const VmSpec& spec) {
  const std::string console = xml_escape(spec.console_log.string());
  std::string xml;
  auto add = [&xml](std::string_view line) {
    xml += line;
    xml += '\n';
  };
  add(fmt::format("<domain type='{}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>",
                  spec.kvm ? "kvm" : "qemu"));
  add(fmt::format("  <name>{}</name>", xml_escape(spec.name)));
  add("  <metadata>");
  add(fmt::format("    <wedge:instance xmlns:wedge='{}'>", xml_escape(kMetadataNamespace)));
  add(fmt::format("      <wedge:owner>{}</wedge:owner>", xml_escape(spec.owner)));
  add("      <wedge:kept>no</wedge:kept>");
  add("    </wedge:instance>");
  add("  </metadata>");
  add(fmt::format("  <memory unit='MiB'>{}</memory>", spec.memory_mib));
  add(fmt::format("  <currentMemory unit='MiB'>{}</currentMemory>", spec.memory_mib));
  add(fmt::format("  <vcpu>{}</vcpu>", spec.vcpus));
  add("  <os>");
  add("    <type arch='x86_64' machine='pc'>hvm</type>");
  add(fmt::format("    <kernel>{}</kernel>", xml_escape(spec.kernel.string())));
  if (!spec.initrd.empty()) {
    add(fmt::format("    <initrd>{}</initrd>", xml_escape(spec.initrd.string())));
  }
  if (!spec.cmdline.empty()) {
    add(fmt::format("    <cmdline>{}</cmdline>", xml_escape(spec.cmdline)));
  }
  add("  </os>");
  add("  <features>");
  add("    <acpi/>");
  // QEMU's vmcoreinfo device: a guest with qemu_fw_cfg loaded tells QEMU where its
  // VMCOREINFO note is, and memory dumps carry it (crash and drgn need it).
  add("    <vmcoreinfo state='on'/>");
  add("  </features>");
  // A guest that powers off, reboots or crashes is over: the run decides what happens next.
  add("  <on_poweroff>destroy</on_poweroff>");
  add("  <on_reboot>destroy</on_reboot>");
  add("  <on_crash>destroy</on_crash>");
  add("  <devices>");
  add(fmt::format("    <emulator>{}</emulator>", xml_escape(kEmulator)));
  // The console is a telnet server (for BREAK sysrq); virtlogd writes every byte to the log
  // file from boot on, whether or not a client is connected.
  for (std::string_view element : {"serial", "console"}) {
    add(fmt::format("    <{} type='tcp'>", element));
    add(fmt::format("      <source mode='bind' host='127.0.0.1' service='{}'/>", spec.serial_port));
    add("      <protocol type='telnet'/>");
    add(fmt::format("      <log file='{}' append='off'/>", console));
    add(element == "serial" ? "      <target port='0'/>"
                            : "      <target type='serial' port='0'/>");
    add(fmt::format("    </{}>", element));
  }
  add("    <channel type='unix'>");
  add(fmt::format("      <source mode='bind' path='{}'/>", xml_escape(spec.agent_socket.string())));
  add(fmt::format("      <target type='virtio' name='{}'/>",
                  xml_escape(agent_protocol::kPortName)));
  add("    </channel>");
  for (size_t i = 0; i < spec.disks.size() && i < 26; ++i) {
    add("    <disk type='file' device='disk'>");
    add("      <driver name='qemu' type='raw' cache='none' io='native'/>");
    add(fmt::format("      <source file='{}'/>", xml_escape(spec.disks[i].string())));
    add(fmt::format("      <target dev='vd{}' bus='virtio'/>", static_cast<char>('a' + i)));
    add("    </disk>");
  }
  for (const auto& folder : spec.shared_folders) {
    // squash: an unprivileged QEMU creates files as itself and ignores the guest's chown.
    add("    <filesystem type='mount' accessmode='squash'>");
    add(fmt::format("      <source dir='{}'/>", xml_escape(folder.host_dir.string())));
    add(fmt::format("      <target dir='{}'/>", xml_escape(folder.tag)));
    add("    </filesystem>");
  }
  add("    <interface type='user'>");
  add("      <model type='virtio'/>");
  add(fmt::format("      <alias name='{}'/>", kNetAlias));
  add("    </interface>");
  add("    <controller type='usb' model='none'/>");
  add("    <memballoon model='virtio'>");
  add("      <stats period='1'/>");
  add("    </memballoon>");
  add("  </devices>");
  // QEMU as the unprivileged user, whatever qemu.conf says for other guests; libvirt changes
  // no file's owner (wedge hands QEMU what it opens: qemu_access.h).
  if (spec.run_as) {
    add("  <seclabel type='static' model='dac' relabel='no'>");
    add(fmt::format("    <label>+{}:+{}</label>", spec.run_as->uid, spec.run_as->gid));
    add("  </seclabel>");
  }
  // The network gate (net_gate.h): every frame the guest sends into the user-mode network goes
  // out through from_guest and only what wedge passes comes back in through to_network. On the
  // receive queue filters run last-created first, so the injecting one is created first: what
  // it injects then reaches slirp without going back through the redirecting one.
  const NetGateSockets net = net_gate_sockets(spec);
  add("  <qemu:commandline>");
  auto arg = [&](std::string_view value) {
    add(fmt::format("    <qemu:arg value='{}'/>", xml_escape(value)));
  };
  arg("-chardev");
  arg(fmt::format("socket,id=wedge-net-in,path={},server=on,wait=off",
                  qemu_option_value(net.to_network.string())));
  arg("-chardev");
  arg(fmt::format("socket,id=wedge-net-out,path={},server=on,wait=off",
                  qemu_option_value(net.from_guest.string())));
  arg("-object");
  arg(fmt::format("filter-redirector,id=wedge-net-inject,netdev={},queue=rx,indev=wedge-net-in",
                  kNetdevId));
  arg("-object");
  arg(fmt::format("filter-redirector,id=wedge-net-gate,netdev={},queue=rx,outdev=wedge-net-out",
                  kNetdevId));
  add("  </qemu:commandline>");
  add("</domain>");
  return xml;
}

}  // namespace wedge::vm
