// Unit tests of [guest] nic: the key's values and errors with file:line, the scenario as run
// (to_toml) keeping it, and the libvirt interface model and guest driver each value gives.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "harness/config/kinds.h"
#include "harness/config/load_scenario.h"
#include "harness/vm/libvirt/domain_xml.h"

namespace wedge {
namespace {

std::string error_of(std::string_view text) {
  auto s = config::parse_scenario(text, "t.toml");
  return s.ok() ? "(loaded)" : s.error().message();
}

TEST(GuestNic, DefaultIsVirtioAndEveryModelParses) {
  auto plain = config::parse_scenario("[guest]\nmemory_mib = 256\n", "t.toml");
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->guest.nic, config::NicModel::kVirtio);
  const std::pair<const char*, config::NicModel> cases[] = {
      {"virtio", config::NicModel::kVirtio},
      {"e1000", config::NicModel::kE1000},
      {"vmxnet3", config::NicModel::kVmxnet3},
      {"rtl8139", config::NicModel::kRtl8139},
  };
  for (const auto& [name, model] : cases) {
    auto s = config::parse_scenario(fmt::format("[guest]\nnic = \"{}\"\n", name), "t.toml");
    ASSERT_TRUE(s.ok()) << name << ": " << s.error().message();
    EXPECT_EQ(s->guest.nic, model) << name;
    EXPECT_STREQ(config::name_of(model), name);
  }
  EXPECT_EQ(config::nic_model_names(),
            (std::vector<std::string>{"virtio", "e1000", "vmxnet3", "rtl8139"}));
}

TEST(GuestNic, BadValuesNameFileLineAndChoices) {
  EXPECT_EQ(error_of("[guest]\nmemory_mib = 256\nnic = \"ne2000\"\n"),
            "t.toml:3: [guest] nic = \"ne2000\": must be one of \"virtio\", \"e1000\", "
            "\"vmxnet3\", \"rtl8139\"");
  EXPECT_EQ(error_of("[guest]\nnic = \"virtio-net\"\n").rfind("t.toml:2: [guest] nic = ", 0), 0u);
  EXPECT_EQ(error_of("[guest]\n\nnic = 1000\n"), "t.toml:3: [guest] nic must be a string");
  EXPECT_EQ(error_of("[guest]\nnic = \"E1000\"\n").rfind("t.toml:2:", 0), 0u)
      << "names are exact, as libvirt's are";
}

TEST(GuestNic, ScenarioAsRunKeepsTheNicAndOmitsTheDefault) {
  for (config::NicModel model : config::kNicModels) {
    auto s = config::parse_scenario(
        fmt::format("[guest]\nnic = \"{}\"\n[workload]\nkind = \"swap-hog\"\n",
                    config::name_of(model)),
        "t.toml");
    ASSERT_TRUE(s.ok()) << s.error().message();
    const std::string text = config::to_toml(*s);
    auto again = config::parse_scenario(text, "again.toml");
    ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
    EXPECT_EQ(again->guest.nic, model) << text;
    // The default leaves the text as it was before the key existed (recorded scenarios, cell
    // files of older matrices); any other model is written out.
    const size_t at = text.find("\nnic = ");
    if (model == config::NicModel::kVirtio) {
      EXPECT_EQ(at, std::string::npos) << text;
    } else {
      EXPECT_NE(text.find(fmt::format("\nnic = '{}'\n", config::name_of(model))), std::string::npos)
          << text;
    }
  }
}

TEST(GuestNic, EachModelHasItsOwnKernelDriver) {
  EXPECT_STREQ(config::nic_driver(config::NicModel::kVirtio), "virtio_net");
  EXPECT_STREQ(config::nic_driver(config::NicModel::kE1000), "e1000");
  EXPECT_STREQ(config::nic_driver(config::NicModel::kVmxnet3), "vmxnet3");
  EXPECT_STREQ(config::nic_driver(config::NicModel::kRtl8139), "8139cp");
  std::set<std::string> drivers;
  for (config::NicModel model : config::kNicModels) drivers.insert(config::nic_driver(model));
  EXPECT_EQ(drivers.size(), config::kNicModels.size());
}

vm::VmSpec spec_with(std::string nic_model) {
  vm::VmSpec spec;
  spec.name = "wedge-nic-test";
  spec.kernel = "/srv/img/vmlinuz";
  spec.console_log = "/runs/r1/console.log";
  spec.agent_socket = "/runs/r1/agent.sock";
  spec.nic_model = std::move(nic_model);
  return spec;
}

// The interface's <model type> of the domain XML, read back by libxml2's XPath.
std::string interface_model(const std::string& xml) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8", XML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return "<unparsable>";
  std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
      xmlXPathNewContext(doc.get()), xmlXPathFreeContext);
  std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> found(
      xmlXPathEvalExpression(BAD_CAST "string(/domain/devices/interface[@type='user']/model/@type)",
                             ctx.get()),
      xmlXPathFreeObject);
  if (!found || found->type != XPATH_STRING) return "<no string>";
  return reinterpret_cast<const char*>(found->stringval);
}

// Every model the key takes is one the libvirt backend accepts and writes as the interface's
// model; the rest of the document does not change with it.
TEST(GuestNic, DomainXmlCarriesEachModelAsTheInterfaceModel) {
  const std::string virtio = vm::build_domain_xml(spec_with("virtio"));
  EXPECT_EQ(interface_model(virtio), "virtio");
  for (config::NicModel model : config::kNicModels) {
    const std::string name = config::name_of(model);
    EXPECT_NE(std::find(vm::kNicModels.begin(), vm::kNicModels.end(), name), vm::kNicModels.end())
        << name;
    vm::VmSpec spec = spec_with(name);
    EXPECT_TRUE(vm::validate_spec(spec).ok()) << name;
    const std::string xml = vm::build_domain_xml(spec);
    EXPECT_EQ(interface_model(xml), name);
    std::string as_virtio = xml;
    const std::string from = "<model type=\"" + name + "\"/>";
    ASSERT_NE(as_virtio.find(from), std::string::npos) << xml;
    as_virtio.replace(as_virtio.find(from), from.size(), "<model type=\"virtio\"/>");
    EXPECT_EQ(as_virtio, virtio) << name;
  }
}

TEST(GuestNic, ValidateRefusesAModelTheBackendDoesNotKnow) {
  for (const char* bad : {"", "ne2k_pci", "virtio-net-pci", "e1000,romfile=x"}) {
    auto checked = vm::validate_spec(spec_with(bad));
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_EQ(checked.error().message(),
              fmt::format("NIC model '{}' is not one of virtio, e1000, vmxnet3, rtl8139", bad));
  }
}

}  // namespace
}  // namespace wedge
