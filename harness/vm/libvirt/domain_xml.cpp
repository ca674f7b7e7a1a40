// Implementation of domain_xml.h: the document is a libxml2 tree, serialised by libxml2 (which
// escapes every value).
#include "harness/vm/libvirt/domain_xml.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <new>
#include <utility>

#include "harness/agent_protocol/protocol.h"
#include "harness/util/text.h"

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
  // XML carries Unicode text: libvirt would refuse other bytes when parsing the document.
  if (valid_utf8(text) != text) return make_error("{} is not valid UTF-8", what);
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

constexpr char kQemuNamespace[] = "http://libvirt.org/schemas/domain/qemu/1.0";

const xmlChar* xml_chars(const std::string& s) { return BAD_CAST s.c_str(); }

// libxml2 allocates every node; a null from it is an allocation failure, reported the way
// std::string reports one.
template <typename T>
T* allocated(T* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// libxml2's global state is set up once, before any thread uses the parser.
void init_libxml2() {
  static const bool ready = [] {
    xmlInitParser();
    return true;
  }();
  (void)ready;
}

// An element of a document being built. Names are ASCII constants; text and attribute values
// are stored as given and escaped by libxml2 when the document is written.
class Element {
 public:
  explicit Element(xmlNode* node) : node_(allocated(node)) {}

  // A new child element, empty or holding text.
  Element add(const std::string& name, xmlNs* ns = nullptr) const {
    return Element(xmlNewChild(node_, ns, xml_chars(name), nullptr));
  }
  Element add(const std::string& name, const std::string& text, xmlNs* ns = nullptr) const {
    return Element(xmlNewTextChild(node_, ns, xml_chars(name), xml_chars(text)));
  }
  // Adds attributes, in order: element.set({{"mode", "bind"}, {"path", socket}}).
  const Element& set(std::initializer_list<std::pair<const char*, std::string>> attributes) const {
    for (const auto& [name, value] : attributes) {
      allocated(xmlNewProp(node_, BAD_CAST name, xml_chars(value)));
    }
    return *this;
  }
  // Declares prefix for href on this element and puts the element in that namespace.
  xmlNs* declare_namespace(const std::string& href, const std::string& prefix,
                           bool own = false) const {
    xmlNs* ns = allocated(xmlNewNs(node_, xml_chars(href), xml_chars(prefix)));
    if (own) xmlSetNs(node_, ns);
    return ns;
  }

 private:
  xmlNode* node_;
};

// A document with one root element, freed on every path.
class Document {
 public:
  explicit Document(const std::string& root_name) {
    init_libxml2();
    doc_.reset(allocated(xmlNewDoc(BAD_CAST "1.0")));
    xmlNode* root = allocated(xmlNewDocNode(doc_.get(), nullptr, xml_chars(root_name), nullptr));
    xmlDocSetRootElement(doc_.get(), root);
  }
  [[nodiscard]] Element root() const { return Element(xmlDocGetRootElement(doc_.get())); }

  // The root element as text, without an XML declaration; indented two spaces a level.
  [[nodiscard]] std::string serialise(bool indent) const {
    std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buffer(allocated(xmlBufferCreate()),
                                                                xmlBufferFree);
    xmlSaveCtxt* save = allocated(
        xmlSaveToBuffer(buffer.get(), "UTF-8", XML_SAVE_NO_DECL | (indent ? XML_SAVE_FORMAT : 0)));
    long written = xmlSaveTree(save, xmlDocGetRootElement(doc_.get()));
    if (xmlSaveClose(save) < 0 || written < 0) throw std::bad_alloc();
    return {reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
            static_cast<size_t>(xmlBufferLength(buffer.get()))};
  }

 private:
  struct Free {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
  };
  std::unique_ptr<xmlDoc, Free> doc_;
};

// The first element named local_name (with or without a namespace prefix) among nodes and
// their descendants, depth first; null if none.
xmlNode* find_element(xmlNode* nodes, std::string_view local_name) {
  for (xmlNode* n = nodes; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    std::string_view name = reinterpret_cast<const char*>(n->name);
    // A prefix whose declaration is missing stays in the name.
    if (size_t colon = name.find(':'); colon != std::string_view::npos) {
      name.remove_prefix(colon + 1);
    }
    if (name == local_name) return n;
    if (xmlNode* inner = find_element(n->children, local_name)) return inner;
  }
  return nullptr;
}

// The text inside node, entities decoded ("" for no node).
std::string text_of(xmlNode* node) {
  if (node == nullptr) return "";
  std::unique_ptr<xmlChar, decltype(xmlFree)> text(xmlNodeGetContent(node), xmlFree);
  return text ? std::string(reinterpret_cast<const char*>(text.get())) : "";
}

}  // namespace

NetGateSockets net_gate_sockets(const VmSpec& spec) {
  // Named after the agent socket, so guests sharing a folder never share these; short, because
  // the run dir of a matrix or compare run is deep and unix socket paths stop at 107 bytes.
  std::filesystem::path base = spec.agent_socket;
  base.replace_extension();
  return {base.string() + ".gate-in.sock", base.string() + ".gate-out.sock"};
}

std::string metadata_element(std::string_view owner, bool kept) {
  Document doc("instance");
  doc.root().add("owner", std::string(owner));
  doc.root().add("kept", kept ? "yes" : "no");
  return doc.serialise(/*indent=*/false);
}

WedgeMetadata parse_metadata(std::string_view xml) {
  init_libxml2();
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  if (!doc) return {};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  return {text_of(find_element(root, "owner")), text_of(find_element(root, "kept")) == "yes"};
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
  for (const auto& f : spec.forwards) {
    if (f.host_port < 1 || f.host_port > 65535 || f.guest_port < 1 || f.guest_port > 65535) {
      return make_error("forward {} -> {} is not between TCP ports", f.host_port, f.guest_port);
    }
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
  if (std::find(kNicModels.begin(), kNicModels.end(), spec.nic_model) == kNicModels.end()) {
    return make_error("NIC model '{}' is not one of {}", spec.nic_model,
                      fmt::join(kNicModels, ", "));
  }
  return ok_status();
}

std::string build_domain_xml(const VmSpec& spec) {
  Document doc("domain");
  const Element domain = doc.root();
  xmlNs* qemu = domain.declare_namespace(kQemuNamespace, "qemu");
  domain.set({{"type", spec.kvm ? "kvm" : "qemu"}});
  domain.add("name", spec.name);
  const Element instance = domain.add("metadata").add("instance");
  xmlNs* wedge = instance.declare_namespace(std::string(kMetadataNamespace),
                                            std::string(kMetadataPrefix), /*own=*/true);
  instance.add("owner", spec.owner, wedge);
  instance.add("kept", "no", wedge);
  domain.add("memory", std::to_string(spec.memory_mib)).set({{"unit", "MiB"}});
  domain.add("currentMemory", std::to_string(spec.memory_mib)).set({{"unit", "MiB"}});
  domain.add("vcpu", std::to_string(spec.vcpus));
  const Element os = domain.add("os");
  os.add("type", "hvm").set({{"arch", "x86_64"}, {"machine", "pc"}});
  os.add("kernel", spec.kernel.string());
  if (!spec.initrd.empty()) os.add("initrd", spec.initrd.string());
  if (!spec.cmdline.empty()) os.add("cmdline", spec.cmdline);
  const Element features = domain.add("features");
  features.add("acpi");
  // QEMU's vmcoreinfo device: a guest with qemu_fw_cfg loaded tells QEMU where its
  // VMCOREINFO note is, and memory dumps carry it (crash and drgn need it).
  features.add("vmcoreinfo").set({{"state", "on"}});
  // A guest that powers off, reboots or crashes is over: the run decides what happens next.
  for (const char* event : {"on_poweroff", "on_reboot", "on_crash"}) domain.add(event, "destroy");

  const Element devices = domain.add("devices");
  devices.add("emulator", std::string(kEmulator));
  // The console is a telnet server (for BREAK sysrq); virtlogd writes every byte to the log
  // file from boot on, whether or not a client is connected.
  for (std::string_view kind : {"serial", "console"}) {
    const Element port = devices.add(std::string(kind)).set({{"type", "tcp"}});
    port.add("source").set(
        {{"mode", "bind"}, {"host", "127.0.0.1"}, {"service", std::to_string(spec.serial_port)}});
    port.add("protocol").set({{"type", "telnet"}});
    port.add("log").set({{"file", spec.console_log.string()}, {"append", "off"}});
    if (kind == "serial") port.add("target").set({{"port", "0"}});
    if (kind == "console") port.add("target").set({{"type", "serial"}, {"port", "0"}});
  }
  const Element channel = devices.add("channel").set({{"type", "unix"}});
  channel.add("source").set({{"mode", "bind"}, {"path", spec.agent_socket.string()}});
  channel.add("target").set({{"type", "virtio"}, {"name", std::string(agent_protocol::kPortName)}});
  for (size_t i = 0; i < spec.disks.size() && i < 26; ++i) {
    const Element disk = devices.add("disk").set({{"type", "file"}, {"device", "disk"}});
    disk.add("driver").set(
        {{"name", "qemu"}, {"type", "raw"}, {"cache", "none"}, {"io", "native"}});
    disk.add("source").set({{"file", spec.disks[i].string()}});
    disk.add("target").set(
        {{"dev", fmt::format("vd{}", static_cast<char>('a' + i))}, {"bus", "virtio"}});
  }
  for (const auto& folder : spec.shared_folders) {
    // squash: an unprivileged QEMU creates files as itself and ignores the guest's chown.
    const Element fs = devices.add("filesystem").set({{"type", "mount"}, {"accessmode", "squash"}});
    fs.add("source").set({{"dir", folder.host_dir.string()}});
    fs.add("target").set({{"dir", folder.tag}});
  }
  const Element interface = devices.add("interface").set({{"type", "user"}});
  interface.add("model").set({{"type", spec.nic_model}});
  interface.add("alias").set({{"name", std::string(kNetAlias)}});
  devices.add("controller").set({{"type", "usb"}, {"model", "none"}});
  devices.add("memballoon").set({{"model", "virtio"}}).add("stats").set({{"period", "1"}});

  // QEMU as the unprivileged user, whatever qemu.conf says for other guests; libvirt changes
  // no file's owner (wedge hands QEMU what it opens: qemu_access.h).
  if (spec.run_as) {
    domain.add("seclabel")
        .set({{"type", "static"}, {"model", "dac"}, {"relabel", "no"}})
        .add("label", fmt::format("+{}:+{}", spec.run_as->uid, spec.run_as->gid));
  }
  // The network gate (net_gate.h): every frame the guest sends into the user-mode network goes
  // out through from_guest and only what wedge passes comes back in through to_network. On the
  // receive queue filters run last-created first, so the injecting one is created first: what
  // it injects then reaches slirp without going back through the redirecting one.
  const NetGateSockets net = net_gate_sockets(spec);
  const Element commandline = domain.add("commandline", qemu);
  for (const std::string& arg : {
           std::string("-chardev"),
           fmt::format("socket,id=wedge-net-in,path={},server=on,wait=off",
                       qemu_option_value(net.to_network.string())),
           std::string("-chardev"),
           fmt::format("socket,id=wedge-net-out,path={},server=on,wait=off",
                       qemu_option_value(net.from_guest.string())),
           std::string("-object"),
           fmt::format(
               "filter-redirector,id=wedge-net-inject,netdev={},queue=rx,indev=wedge-net-in",
               kNetdevId),
           std::string("-object"),
           fmt::format(
               "filter-redirector,id=wedge-net-gate,netdev={},queue=rx,outdev=wedge-net-out",
               kNetdevId),
       }) {
    commandline.add("arg", qemu).set({{"value", arg}});
  }
  return doc.serialise(/*indent=*/true) + "\n";
}

}  // namespace wedge::vm
