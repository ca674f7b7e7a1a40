// Tests of the libvirt domain XML builder: the document parses (libxml2), holds every element
// and attribute wedge relies on, and gives back every value from the spec unchanged.
#include "harness/vm/libvirt/domain_xml.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::vm {
namespace {

VmSpec sample_spec() {
  VmSpec spec;
  spec.name = "wedge-20261121-133000-ab12";
  spec.memory_mib = 256;
  spec.vcpus = 2;
  spec.kernel = "/srv/img/vmlinuz";
  spec.initrd = "/srv/img/initrd.cpio";
  spec.cmdline = "console=ttyS0 loglevel=7";
  spec.console_log = "/runs/r1/console.log";
  spec.serial_port = 40123;
  spec.agent_socket = "/runs/r1/agent.sock";
  spec.owner = "wedge run r1 pid 42";
  return spec;
}

// A parsed document queried by XPath, with the prefixes qemu: and wedge: bound to the URIs
// libvirt and wedge use (so a query also checks the namespaces).
class Parsed {
 public:
  explicit Parsed(const std::string& xml)
      : doc_(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
                           XML_PARSE_NONET),
             xmlFreeDoc) {}
  [[nodiscard]] bool ok() const { return doc_ != nullptr; }

  // The string value of every node path selects (element text, attribute value), in order.
  [[nodiscard]] std::vector<std::string> all(const std::string& path) const {
    std::vector<std::string> out;
    if (!doc_) return out;
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
        xmlXPathNewContext(doc_.get()), xmlXPathFreeContext);
    xmlXPathRegisterNs(ctx.get(), BAD_CAST "qemu",
                       BAD_CAST "http://libvirt.org/schemas/domain/qemu/1.0");
    xmlXPathRegisterNs(ctx.get(), BAD_CAST "wedge", BAD_CAST "https://wedge.invalid/xmlns");
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> found(
        xmlXPathEvalExpression(BAD_CAST path.c_str(), ctx.get()), xmlXPathFreeObject);
    EXPECT_NE(found, nullptr) << "bad XPath " << path;
    if (found && found->type == XPATH_STRING) {  // name(...) and other string functions
      out.emplace_back(reinterpret_cast<const char*>(found->stringval));
      return out;
    }
    if (!found || found->nodesetval == nullptr) return out;
    for (int i = 0; i < found->nodesetval->nodeNr; ++i) {
      xmlChar* text = xmlNodeGetContent(found->nodesetval->nodeTab[i]);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      xmlFree(text);
    }
    return out;
  }
  // The one node path selects: "<missing>" or "<N nodes>" otherwise.
  [[nodiscard]] std::string one(const std::string& path) const {
    std::vector<std::string> found = all(path);
    if (found.size() == 1) return found.front();
    return found.empty() ? "<missing>" : "<" + std::to_string(found.size()) + " nodes>";
  }
  [[nodiscard]] size_t count(const std::string& path) const { return all(path).size(); }
  // The names of the elements path selects, in document order.
  [[nodiscard]] std::vector<std::string> names(const std::string& path) const {
    std::vector<std::string> out;
    for (size_t i = 1; i <= count(path); ++i) {
      out.push_back(one("name((" + path + ")[" + std::to_string(i) + "])"));
    }
    return out;
  }

 private:
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc_;
};

TEST(DomainXml, TcgDomainHasEveryRequiredElement) {
  Parsed xml(build_domain_xml(sample_spec()));
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml.one("/domain/@type"), "qemu");
  EXPECT_EQ(xml.count("/domain/qemu:commandline"), 1u) << "the qemu: namespace is libvirt's";
  EXPECT_EQ(xml.one("/domain/name"), "wedge-20261121-133000-ab12");
  EXPECT_EQ(xml.one("/domain/memory"), "256");
  EXPECT_EQ(xml.one("/domain/memory/@unit"), "MiB");
  EXPECT_EQ(xml.one("/domain/currentMemory"), "256");
  EXPECT_EQ(xml.one("/domain/currentMemory/@unit"), "MiB");
  EXPECT_EQ(xml.one("/domain/vcpu"), "2");
  EXPECT_EQ(xml.one("/domain/os/type"), "hvm");
  EXPECT_EQ(xml.one("/domain/os/type/@arch"), "x86_64");
  EXPECT_EQ(xml.one("/domain/os/type/@machine"), "pc");
  EXPECT_EQ(xml.one("/domain/os/kernel"), "/srv/img/vmlinuz");
  EXPECT_EQ(xml.one("/domain/os/initrd"), "/srv/img/initrd.cpio");
  EXPECT_EQ(xml.one("/domain/os/cmdline"), "console=ttyS0 loglevel=7");
  EXPECT_EQ(xml.count("/domain/features/acpi"), 1u);
  EXPECT_EQ(xml.one("/domain/on_poweroff"), "destroy");
  EXPECT_EQ(xml.one("/domain/on_reboot"), "destroy");
  EXPECT_EQ(xml.one("/domain/on_crash"), "destroy");
  EXPECT_EQ(xml.one("/domain/devices/emulator"), "/usr/bin/qemu-system-x86_64");
}

TEST(DomainXml, MetadataCarriesOwnerInWedgeNamespace) {
  std::string text = build_domain_xml(sample_spec());
  Parsed xml(text);
  EXPECT_EQ(xml.one("/domain/metadata/wedge:instance/wedge:owner"), "wedge run r1 pid 42") << text;
  EXPECT_EQ(xml.one("/domain/metadata/wedge:instance/wedge:kept"), "no");
  // libvirt keeps metadata by the prefix the document uses.
  EXPECT_NE(text.find("<wedge:instance xmlns:wedge=\"https://wedge.invalid/xmlns\">"),
            std::string::npos)
      << text;
}

TEST(DomainXml, MetadataRoundTripsOwnerAndKeptWithOrWithoutPrefixes) {
  std::string element_xml = metadata_element("pid=42 start=7 boot=b<&>", true);
  EXPECT_EQ(
      element_xml,
      "<instance><owner>pid=42 start=7 boot=b&lt;&amp;&gt;</owner><kept>yes</kept></instance>");
  WedgeMetadata m = parse_metadata(element_xml);
  EXPECT_EQ(m.owner, "pid=42 start=7 boot=b<&>");
  EXPECT_TRUE(m.kept);
  // As libvirt hands it back after a create with the wedge: prefix.
  WedgeMetadata from_create = parse_metadata(
      "<wedge:instance xmlns:wedge=\"https://wedge.invalid/xmlns\">\n  "
      "<wedge:owner>pid=9</wedge:owner>\n"
      "  <wedge:kept>no</wedge:kept>\n</wedge:instance>");
  EXPECT_EQ(from_create.owner, "pid=9");
  EXPECT_FALSE(from_create.kept);
  // A prefix without its declaration still names the elements.
  WedgeMetadata undeclared =
      parse_metadata("<w:instance><w:owner>o&apos;1</w:owner><w:kept>yes</w:kept></w:instance>");
  EXPECT_EQ(undeclared.owner, "o'1");
  EXPECT_TRUE(undeclared.kept);
  EXPECT_EQ(parse_metadata("").owner, "");
  EXPECT_EQ(parse_metadata("<instance><owner>x</owner>").owner, "") << "not well-formed";
}

TEST(DomainXml, NetworkFramesGoThroughTheGateSocketsNextToTheAgentSocket) {
  VmSpec spec = sample_spec();
  Parsed xml(build_domain_xml(spec));
  NetGateSockets sockets = net_gate_sockets(spec);
  EXPECT_EQ(sockets.from_guest, "/runs/r1/agent.gate-in.sock");
  EXPECT_EQ(sockets.to_network, "/runs/r1/agent.gate-out.sock");
  EXPECT_EQ(xml.one("/domain/devices/interface/alias/@name"), "ua-wedge-net");
  // In this order: the injecting filter must be created first.
  EXPECT_EQ(xml.all("/domain/qemu:commandline/qemu:arg/@value"),
            (std::vector<std::string>{
                "-chardev",
                "socket,id=wedge-net-in,path=/runs/r1/agent.gate-out.sock,server=on,wait=off",
                "-chardev",
                "socket,id=wedge-net-out,path=/runs/r1/agent.gate-in.sock,server=on,wait=off",
                "-object",
                "filter-redirector,id=wedge-net-inject,netdev=hostua-wedge-net,queue=rx,"
                "indev=wedge-net-in",
                "-object",
                "filter-redirector,id=wedge-net-gate,netdev=hostua-wedge-net,queue=rx,"
                "outdev=wedge-net-out",
            }));
}

TEST(DomainXml, CommasInGateSocketPathsAreDoubledForQemu) {
  VmSpec spec = sample_spec();
  spec.agent_socket = "/runs/a,b/agent.sock";
  Parsed xml(build_domain_xml(spec));
  EXPECT_EQ(xml.all("/domain/qemu:commandline/qemu:arg/@value")[3],
            "socket,id=wedge-net-out,path=/runs/a,,b/agent.gate-in.sock,server=on,wait=off");
}

TEST(DomainXml, ValidateRejectsBadHostPorts) {
  VmSpec spec = sample_spec();
  spec.host_ports = {10809, 0};
  auto bad = validate_spec(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "host port 0 is not a TCP port");
}

TEST(DomainXml, ConsoleIsLoopbackTelnetServerLoggedToFileOnFirstSerialPort) {
  std::string text = build_domain_xml(sample_spec());
  Parsed xml(text);
  for (std::string device : {"/domain/devices/serial", "/domain/devices/console"}) {
    SCOPED_TRACE(device);
    EXPECT_EQ(xml.one(device + "/@type"), "tcp");
    EXPECT_EQ(xml.names(device + "/*"),
              (std::vector<std::string>{"source", "protocol", "log", "target"}));
    EXPECT_EQ(xml.one(device + "/source/@mode"), "bind");
    EXPECT_EQ(xml.one(device + "/source/@host"), "127.0.0.1");
    EXPECT_EQ(xml.one(device + "/source/@service"), "40123");
    EXPECT_EQ(xml.one(device + "/protocol/@type"), "telnet");
    EXPECT_EQ(xml.one(device + "/log/@file"), "/runs/r1/console.log");
    EXPECT_EQ(xml.one(device + "/log/@append"), "off");
    EXPECT_EQ(xml.one(device + "/target/@port"), "0");
  }
  EXPECT_EQ(xml.count("/domain/devices/serial/target/@type"), 0u);
  EXPECT_EQ(xml.one("/domain/devices/console/target/@type"), "serial");
  // One serial port only, never listening beyond loopback, never a plain file chardev.
  EXPECT_EQ(xml.count("//serial"), 1u);
  EXPECT_EQ(xml.count("//*[@type='file']"), 0u);
  EXPECT_EQ(text.find("0.0.0.0"), std::string::npos) << text;
}

TEST(DomainXml, FeaturesEnableVmcoreinfoForDumps) {
  Parsed xml(build_domain_xml(sample_spec()));
  EXPECT_EQ(xml.names("/domain/features/*"), (std::vector<std::string>{"acpi", "vmcoreinfo"}));
  EXPECT_EQ(xml.one("/domain/features/vmcoreinfo/@state"), "on");
  EXPECT_EQ(xml.count("/domain/features/*/@*"), 1u);
}

TEST(DomainXml, AgentChannelIsVirtioSerialPortNamedForTheAgent) {
  Parsed xml(build_domain_xml(sample_spec()));
  EXPECT_EQ(xml.one("/domain/devices/channel/@type"), "unix");
  EXPECT_EQ(xml.names("/domain/devices/channel/*"), (std::vector<std::string>{"source", "target"}));
  EXPECT_EQ(xml.one("/domain/devices/channel/source/@mode"), "bind");
  EXPECT_EQ(xml.one("/domain/devices/channel/source/@path"), "/runs/r1/agent.sock");
  EXPECT_EQ(xml.one("/domain/devices/channel/target/@type"), "virtio");
  EXPECT_EQ(xml.one("/domain/devices/channel/target/@name"), "org.wedge.agent.0");
}

TEST(DomainXml, DevicesAreUserNetBalloonAndNothingElse) {
  std::string text = build_domain_xml(sample_spec());
  Parsed xml(text);
  EXPECT_EQ(xml.names("/domain/devices/*"),
            (std::vector<std::string>{"emulator", "serial", "console", "channel", "interface",
                                      "controller", "memballoon"}));
  EXPECT_EQ(xml.one("/domain/devices/interface/@type"), "user");
  EXPECT_EQ(xml.one("/domain/devices/interface/model/@type"), "virtio");
  EXPECT_EQ(xml.one("/domain/devices/interface/alias/@name"), "ua-wedge-net");
  EXPECT_EQ(xml.one("/domain/devices/memballoon/@model"), "virtio");
  EXPECT_EQ(xml.one("/domain/devices/memballoon/stats/@period"), "1");
  EXPECT_EQ(xml.one("/domain/devices/controller/@type"), "usb");
  EXPECT_EQ(xml.one("/domain/devices/controller/@model"), "none");
  for (const char* absent : {"graphics", "video", "disk", "input", "sound"}) {
    EXPECT_EQ(xml.count(std::string("//") + absent), 0u) << absent;
  }
  EXPECT_EQ(text.find("tablet"), std::string::npos);
}

// The default NIC (virtio) leaves the document byte for byte as it was before [guest] nic
// existed: tests/testdata/domain_xml/sample.xml was written by that code for sample_spec().
TEST(DomainXml, DefaultNicKeepsTheRecordedDocument) {
  EXPECT_EQ(sample_spec().nic_model, "virtio");
  const std::string xml = build_domain_xml(sample_spec());
  if (std::getenv("WEDGE_WRITE_GOLDEN") != nullptr) {
    ASSERT_TRUE(
        write_file_atomic(std::string(WEDGE_TESTDATA_DIR) + "/domain_xml/sample.xml", xml).ok());
  }
  EXPECT_EQ(xml, testing::testdata("domain_xml/sample.xml"));
}

TEST(DomainXml, KvmSpecAsksForKvmDomain) {
  VmSpec spec = sample_spec();
  spec.kvm = true;
  EXPECT_EQ(Parsed(build_domain_xml(spec)).one("/domain/@type"), "kvm");
}

TEST(DomainXml, EmptyInitrdAndCmdlineAreLeftOut) {
  VmSpec spec = sample_spec();
  spec.initrd.clear();
  spec.cmdline.clear();
  Parsed xml(build_domain_xml(spec));
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml.names("/domain/os/*"), (std::vector<std::string>{"type", "kernel"}));
}

// Every character XML treats specially, in every value taken from the spec, comes back from
// the parser as it went in.
TEST(DomainXml, EveryValueRoundTripsThroughAParser) {
  VmSpec spec = sample_spec();
  spec.name = "wedge-<&'\">";
  spec.owner = "o'<&>\"";
  spec.kernel = "/k/<vm&'linuz\">";
  spec.initrd = "/i/'&'";
  spec.cmdline = "init=/x a=\"b c\" d='e' f<g&h\ttab";
  spec.console_log = "/c/'console'.log";
  spec.agent_socket = "/s/\"agent\"&.sock";
  spec.disks = {"/d/<a>&\"b'.img"};
  spec.shared_folders = {{"/share/&<'\">", "tag&<"}};
  std::string text = build_domain_xml(spec);
  Parsed xml(text);
  ASSERT_TRUE(xml.ok()) << text;
  EXPECT_EQ(xml.one("/domain/name"), spec.name);
  EXPECT_EQ(xml.one("//wedge:owner"), spec.owner);
  EXPECT_EQ(xml.one("/domain/os/kernel"), spec.kernel.string());
  EXPECT_EQ(xml.one("/domain/os/initrd"), spec.initrd.string());
  EXPECT_EQ(xml.one("/domain/os/cmdline"), spec.cmdline);
  EXPECT_EQ(xml.all("//log/@file"),
            (std::vector<std::string>{spec.console_log.string(), spec.console_log.string()}));
  EXPECT_EQ(xml.one("//channel/source/@path"), spec.agent_socket.string());
  EXPECT_EQ(xml.one("//disk/source/@file"), spec.disks[0].string());
  EXPECT_EQ(xml.one("//filesystem/source/@dir"), "/share/&<'\">");
  EXPECT_EQ(xml.one("//filesystem/target/@dir"), "tag&<");
  EXPECT_EQ(xml.all("//qemu:arg/@value")[3],
            "socket,id=wedge-net-out,path=/s/\"agent\"&.gate-in.sock,server=on,wait=off");
}

TEST(DomainXml, ValidateAcceptsSampleSpec) { EXPECT_TRUE(validate_spec(sample_spec()).ok()); }

TEST(DomainXml, ValidateRejectsBadNames) {
  VmSpec spec = sample_spec();
  spec.name = "myvm";
  auto status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(),
            "domain name 'myvm' must start with 'wedge-' followed by an id");
  spec.name = "wedge-";
  EXPECT_FALSE(validate_spec(spec).ok());
  spec.name = "wedge-a/b";
  status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(),
            "domain name 'wedge-a/b' may only hold letters, digits, '.', '_' and '-'");
}

TEST(DomainXml, ValidateRejectsRelativePathsControlCharsAndLongSockets) {
  VmSpec spec = sample_spec();
  spec.kernel = "vmlinuz";
  auto status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "kernel must be an absolute path: vmlinuz");

  spec = sample_spec();
  spec.cmdline = std::string("console=ttyS0\x01");
  status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "cmdline contains control character 0x01");

  spec = sample_spec();
  spec.agent_socket = "/" + std::string(120, 's');
  status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.error().message().starts_with("agent_socket path is 121 bytes"))
      << status.error().message();

  spec = sample_spec();
  spec.serial_port = 65536;
  status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "serial_port 65536 is not a TCP port");
  spec.serial_port = -1;
  EXPECT_FALSE(validate_spec(spec).ok());
  spec.serial_port = 0;  // start() picks one
  EXPECT_TRUE(validate_spec(spec).ok());

  spec = sample_spec();
  spec.memory_mib = 0;
  EXPECT_FALSE(validate_spec(spec).ok());
  spec = sample_spec();
  spec.vcpus = 0;
  EXPECT_FALSE(validate_spec(spec).ok());
}

TEST(DomainXml, ValidateRejectsInvalidUtf8) {
  VmSpec spec = sample_spec();
  spec.owner = "caf\xc3";
  auto status = validate_spec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "owner is not valid UTF-8");
  spec = sample_spec();
  spec.kernel = "/boot/vmlinuz-\xff";
  EXPECT_FALSE(validate_spec(spec).ok());
  spec.kernel = "/boot/vmlinuz-caf\xc3\xa9";  // UTF-8 is fine
  EXPECT_TRUE(validate_spec(spec).ok());
}

TEST(DomainXml, DisksAreRawVirtioInOrder) {
  VmSpec spec = sample_spec();
  EXPECT_EQ(Parsed(build_domain_xml(spec)).count("//disk"), 0u) << "no disks by default";
  spec.disks = {"/runs/r1/export.img", "/runs/r1/a&b.img"};
  Parsed xml(build_domain_xml(spec));
  EXPECT_EQ(xml.all("/domain/devices/disk/@type"), (std::vector<std::string>{"file", "file"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/@device"), (std::vector<std::string>{"disk", "disk"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/source/@file"),
            (std::vector<std::string>{"/runs/r1/export.img", "/runs/r1/a&b.img"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/target/@dev"), (std::vector<std::string>{"vda", "vdb"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/target/@bus"),
            (std::vector<std::string>{"virtio", "virtio"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/driver/@name"),
            (std::vector<std::string>{"qemu", "qemu"}));
  EXPECT_EQ(xml.all("/domain/devices/disk/driver/@type"), (std::vector<std::string>{"raw", "raw"}));
  EXPECT_EQ(xml.one("/domain/devices/disk[1]/driver/@cache"), "none");
  EXPECT_EQ(xml.one("/domain/devices/disk[1]/driver/@io"), "native");
}

// QEMU as the unprivileged user, with no file relabelled by libvirt; no label without run_as
// (the hypervisor's default, e.g. a session daemon). A shared folder is squashed: an
// unprivileged QEMU cannot chown what the guest creates.
TEST(DomainXml, RunAsIsAStaticDacLabelWithoutRelabelling) {
  VmSpec spec = sample_spec();
  EXPECT_EQ(Parsed(build_domain_xml(spec)).count("//seclabel"), 0u);
  spec.run_as = VmSpec::RunAs{999, 995};
  spec.shared_folders = {{"/runs/r1/share", "wedge9p"}};
  Parsed xml(build_domain_xml(spec));
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml.count("//seclabel"), 1u);
  EXPECT_EQ(xml.one("/domain/seclabel/@type"), "static");
  EXPECT_EQ(xml.one("/domain/seclabel/@model"), "dac");
  EXPECT_EQ(xml.one("/domain/seclabel/@relabel"), "no");
  EXPECT_EQ(xml.one("/domain/seclabel/label"), "+999:+995");
  EXPECT_EQ(xml.one("/domain/devices/filesystem/@type"), "mount");
  EXPECT_EQ(xml.one("/domain/devices/filesystem/@accessmode"), "squash");
  EXPECT_EQ(xml.one("/domain/devices/filesystem/source/@dir"), "/runs/r1/share");
  EXPECT_EQ(xml.one("/domain/devices/filesystem/target/@dir"), "wedge9p");
}

}  // namespace
}  // namespace wedge::vm
