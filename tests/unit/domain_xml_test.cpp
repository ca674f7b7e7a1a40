// Tests of the libvirt domain XML builder: every element wedge relies on, and escaping.
#include "harness/vm/libvirt/domain_xml.h"

#include <gtest/gtest.h>

#include <string>

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

// Returns the text between the first <tag> (or <tag ...>) and its </tag>.
std::string element(const std::string& xml, const std::string& tag) {
  auto open = xml.find("<" + tag);
  if (open == std::string::npos) return "<missing>";
  auto start = xml.find('>', open);
  auto end = xml.find("</" + tag + ">", start);
  if (start == std::string::npos || end == std::string::npos) return "<unclosed>";
  return xml.substr(start + 1, end - start - 1);
}

// Tiny well-formedness check: every start tag is closed in order and no tag holds a raw '<'
// or '"' (the builder quotes attributes with ', so a raw " means an escaping bug).
bool balanced(const std::string& xml) {
  std::vector<std::string> stack;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    size_t end = xml.find('>', pos);
    if (end == std::string::npos) return false;
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return false;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return false;
      stack.pop_back();
      continue;
    }
    if (tag.find('<') != std::string::npos || tag.find('"') != std::string::npos) return false;
    bool self_closing = tag.back() == '/';
    std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (!self_closing) stack.push_back(name);
  }
  return stack.empty();
}

TEST(DomainXml, TcgDomainHasEveryRequiredElement) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_TRUE(xml.starts_with(
      "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"))
      << xml;
  EXPECT_EQ(element(xml, "name"), "wedge-20261121-133000-ab12");
  EXPECT_NE(xml.find("<memory unit='MiB'>256</memory>"), std::string::npos);
  EXPECT_NE(xml.find("<currentMemory unit='MiB'>256</currentMemory>"), std::string::npos);
  EXPECT_EQ(element(xml, "vcpu"), "2");
  EXPECT_NE(xml.find("<type arch='x86_64' machine='pc'>hvm</type>"), std::string::npos);
  EXPECT_EQ(element(xml, "kernel"), "/srv/img/vmlinuz");
  EXPECT_EQ(element(xml, "initrd"), "/srv/img/initrd.cpio");
  EXPECT_EQ(element(xml, "cmdline"), "console=ttyS0 loglevel=7");
  EXPECT_NE(xml.find("<acpi/>"), std::string::npos);
  EXPECT_EQ(element(xml, "on_poweroff"), "destroy");
  EXPECT_EQ(element(xml, "on_reboot"), "destroy");
  EXPECT_EQ(element(xml, "on_crash"), "destroy");
  EXPECT_EQ(element(xml, "emulator"), "/usr/bin/qemu-system-x86_64");
  EXPECT_TRUE(balanced(xml)) << xml;
}

TEST(DomainXml, MetadataCarriesOwnerInWedgeNamespace) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_NE(xml.find("<wedge:instance xmlns:wedge='https://wedge.invalid/xmlns'>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(element(xml, "wedge:owner"), "wedge run r1 pid 42");
  EXPECT_EQ(element(xml, "wedge:kept"), "no");
  EXPECT_LT(xml.find("<metadata>"), xml.find("<wedge:owner>"));
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
  EXPECT_EQ(parse_metadata("").owner, "");
}

TEST(DomainXml, NetworkFramesGoThroughTheGateSocketsNextToTheAgentSocket) {
  VmSpec spec = sample_spec();
  std::string xml = build_domain_xml(spec);
  NetGateSockets sockets = net_gate_sockets(spec);
  EXPECT_EQ(sockets.from_guest, "/runs/r1/agent.gate-in.sock");
  EXPECT_EQ(sockets.to_network, "/runs/r1/agent.gate-out.sock");
  EXPECT_NE(xml.find("<alias name='ua-wedge-net'/>"), std::string::npos) << xml;
  size_t inject = xml.find(
      "<qemu:arg value='filter-redirector,id=wedge-net-inject,netdev=hostua-wedge-net,queue=rx,"
      "indev=wedge-net-in'/>");
  size_t gate = xml.find(
      "<qemu:arg value='filter-redirector,id=wedge-net-gate,netdev=hostua-wedge-net,queue=rx,"
      "outdev=wedge-net-out'/>");
  ASSERT_NE(inject, std::string::npos) << xml;
  ASSERT_NE(gate, std::string::npos) << xml;
  EXPECT_LT(inject, gate) << "the injecting filter must be created first";
  EXPECT_NE(xml.find("socket,id=wedge-net-out,path=/runs/r1/agent.gate-in.sock,server=on,"
                     "wait=off"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("socket,id=wedge-net-in,path=/runs/r1/agent.gate-out.sock,server=on,"
                     "wait=off"),
            std::string::npos)
      << xml;
  EXPECT_TRUE(balanced(xml)) << xml;
}

TEST(DomainXml, CommasInGateSocketPathsAreDoubledForQemu) {
  VmSpec spec = sample_spec();
  spec.agent_socket = "/runs/a,b/agent.sock";
  std::string xml = build_domain_xml(spec);
  EXPECT_NE(xml.find("path=/runs/a,,b/agent.gate-in.sock,server=on"), std::string::npos) << xml;
}

TEST(DomainXml, ValidateRejectsBadHostPorts) {
  VmSpec spec = sample_spec();
  spec.host_ports = {10809, 0};
  auto bad = validate_spec(spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "host port 0 is not a TCP port");
}

TEST(DomainXml, ConsoleIsLoopbackTelnetServerLoggedToFileOnFirstSerialPort) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_NE(xml.find("<serial type='tcp'>\n"
                     "      <source mode='bind' host='127.0.0.1' service='40123'/>\n"
                     "      <protocol type='telnet'/>\n"
                     "      <log file='/runs/r1/console.log' append='off'/>\n"
                     "      <target port='0'/>\n    </serial>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<console type='tcp'>\n"
                     "      <source mode='bind' host='127.0.0.1' service='40123'/>\n"
                     "      <protocol type='telnet'/>\n"
                     "      <log file='/runs/r1/console.log' append='off'/>\n"
                     "      <target type='serial' port='0'/>\n    </console>"),
            std::string::npos)
      << xml;
  // One serial port only, never listening beyond loopback, never a plain file chardev.
  EXPECT_EQ(xml.find("<serial", xml.find("</serial>")), std::string::npos) << xml;
  EXPECT_EQ(xml.find("type='file'"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("0.0.0.0"), std::string::npos) << xml;
}

TEST(DomainXml, FeaturesEnableVmcoreinfoForDumps) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_EQ(element(xml, "features"), "\n    <acpi/>\n    <vmcoreinfo state='on'/>\n  ") << xml;
}

TEST(DomainXml, AgentChannelIsVirtioSerialPortNamedForTheAgent) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_NE(xml.find("<channel type='unix'>\n      <source mode='bind' "
                     "path='/runs/r1/agent.sock'/>\n      <target type='virtio' "
                     "name='org.wedge.agent.0'/>\n    </channel>"),
            std::string::npos)
      << xml;
}

TEST(DomainXml, DevicesAreUserNetBalloonAndNothingElse) {
  std::string xml = build_domain_xml(sample_spec());
  EXPECT_NE(xml.find("<interface type='user'>\n      <model type='virtio'/>\n"
                     "      <alias name='ua-wedge-net'/>\n    </interface>"),
            std::string::npos);
  EXPECT_NE(xml.find("<memballoon model='virtio'>\n      <stats period='1'/>\n"
                     "    </memballoon>"),
            std::string::npos);
  EXPECT_NE(xml.find("<controller type='usb' model='none'/>"), std::string::npos);
  for (const char* absent : {"<graphics", "<video", "<disk", "tablet", "<sound"}) {
    EXPECT_EQ(xml.find(absent), std::string::npos) << absent;
  }
}

TEST(DomainXml, KvmSpecAsksForKvmDomain) {
  VmSpec spec = sample_spec();
  spec.kvm = true;
  EXPECT_TRUE(build_domain_xml(spec).starts_with("<domain type='kvm' "));
}

TEST(DomainXml, EmptyInitrdAndCmdlineAreLeftOut) {
  VmSpec spec = sample_spec();
  spec.initrd.clear();
  spec.cmdline.clear();
  std::string xml = build_domain_xml(spec);
  EXPECT_EQ(xml.find("<initrd>"), std::string::npos);
  EXPECT_EQ(xml.find("<cmdline>"), std::string::npos);
  EXPECT_TRUE(balanced(xml));
}

TEST(DomainXml, EscapesEverySpecialCharacter) {
  EXPECT_EQ(xml_escape("a<b>&'\"c"), "a&lt;b&gt;&amp;&apos;&quot;c");
  EXPECT_EQ(xml_escape("tab\there\nnl"), "tab\there\nnl");
  // XML 1.0 forbids these even escaped: each becomes a visible ?.
  EXPECT_EQ(xml_escape(std::string("bell\a") + '\x01'), "bell??");

  VmSpec spec = sample_spec();
  spec.name = "wedge-<&'\">";
  spec.owner = "o'<&>\"";
  spec.kernel = "/k/<vm&'linuz\">";
  spec.initrd = "/i/'&'";
  spec.cmdline = "init=/x a=\"b c\" d='e' f<g&h";
  spec.console_log = "/c/'console'.log";
  spec.agent_socket = "/s/\"agent\"&.sock";
  std::string xml = build_domain_xml(spec);
  EXPECT_EQ(element(xml, "name"), "wedge-&lt;&amp;&apos;&quot;&gt;");
  EXPECT_EQ(element(xml, "wedge:owner"), "o&apos;&lt;&amp;&gt;&quot;");
  EXPECT_EQ(element(xml, "kernel"), "/k/&lt;vm&amp;&apos;linuz&quot;&gt;");
  EXPECT_EQ(element(xml, "initrd"), "/i/&apos;&amp;&apos;");
  EXPECT_EQ(element(xml, "cmdline"), "init=/x a=&quot;b c&quot; d=&apos;e&apos; f&lt;g&amp;h");
  EXPECT_NE(xml.find("<log file='/c/&apos;console&apos;.log' append='off'/>"), std::string::npos);
  EXPECT_NE(xml.find("<source mode='bind' path='/s/&quot;agent&quot;&amp;.sock'/>"),
            std::string::npos);
  // No raw special character survives outside markup: strip the tags and look.
  std::string text;
  bool in_tag = false;
  for (char c : xml) {
    if (c == '<') in_tag = true;
    if (!in_tag) text += c;
    if (c == '>') in_tag = false;
  }
  EXPECT_EQ(text.find_first_of("<>'\""), std::string::npos) << text;
  EXPECT_TRUE(balanced(xml)) << xml;
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

TEST(DomainXml, DisksAreRawVirtioInOrderAndEscaped) {
  VmSpec spec = sample_spec();
  EXPECT_EQ(build_domain_xml(spec).find("<disk"), std::string::npos) << "no disks by default";
  spec.disks = {"/runs/r1/export.img", "/runs/r1/a&b.img"};
  std::string xml = build_domain_xml(spec);
  EXPECT_TRUE(balanced(xml)) << xml;
  auto first = xml.find("<source file='/runs/r1/export.img'/>");
  auto second = xml.find("<source file='/runs/r1/a&amp;b.img'/>");
  ASSERT_NE(first, std::string::npos) << xml;
  ASSERT_NE(second, std::string::npos) << xml;
  EXPECT_LT(first, second);
  EXPECT_NE(xml.find("<target dev='vda' bus='virtio'/>"), std::string::npos);
  EXPECT_NE(xml.find("<target dev='vdb' bus='virtio'/>"), std::string::npos);
  EXPECT_NE(xml.find("<driver name='qemu' type='raw'"), std::string::npos);
}

// QEMU as the unprivileged user, with no file relabelled by libvirt; no label without run_as
// (the hypervisor's default, e.g. a session daemon). A shared folder is squashed: an
// unprivileged QEMU cannot chown what the guest creates.
TEST(DomainXml, RunAsIsAStaticDacLabelWithoutRelabelling) {
  VmSpec spec = sample_spec();
  EXPECT_EQ(build_domain_xml(spec).find("<seclabel"), std::string::npos);
  spec.run_as = VmSpec::RunAs{999, 995};
  spec.shared_folders = {{"/runs/r1/share", "wedge9p"}};
  std::string xml = build_domain_xml(spec);
  EXPECT_TRUE(balanced(xml)) << xml;
  EXPECT_NE(xml.find("<seclabel type='static' model='dac' relabel='no'>\n"
                     "    <label>+999:+995</label>\n  </seclabel>"),
            std::string::npos)
      << xml;
  EXPECT_LT(xml.find("</devices>"), xml.find("<seclabel")) << "a child of <domain>";
  EXPECT_NE(xml.find("<filesystem type='mount' accessmode='squash'>"), std::string::npos);
}

}  // namespace
}  // namespace wedge::vm
