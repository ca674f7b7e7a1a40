// `wedge compare` sides: --base-set/--candidate-set parsing and checks, their effect on the
// expanded cells, the pairing check, and the text and JSON naming what differs.
#include "harness/run/compare.h"

#include <gtest/gtest.h>

#include "harness/config/axis_settings.h"
#include "harness/config/load_scenario.h"
#include "harness/config/matrix_file.h"
#include "harness/run/run_matrix.h"

namespace wedge {
namespace {

using config::AxisSetting;

constexpr const char* kMatrix = R"(
name = "cmp"
scenarios = ["nbd-server-stall"]

[axes]
memory_mib = [128, 256]

[fault.early-stall]
kind = "server-stall"
at_s = 5
duration_s = 3

[sysctl.low-dirty]
"vm.dirty_ratio" = 5
)";

config::Matrix matrix() {
  auto m = config::parse_matrix(kMatrix, "cmp.toml");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  return m.ok() ? *m : config::Matrix{};
}

std::string error_of(std::string_view text, const char* option = "--candidate-set") {
  auto s = config::parse_axis_setting(text, option);
  return s.ok() ? "" : s.error().message();
}

std::string apply_error(std::vector<AxisSetting> settings) {
  config::Matrix m = matrix();
  Status st = config::apply_axis_settings(m, settings, "--candidate-set");
  return st.ok() ? "" : st.error().message();
}

TEST(AxisSettingTest, ParsesKeyEqualsValueAtTheFirstEquals) {
  auto s = config::parse_axis_setting("sysctl=vm.dirty_ratio=5", "--base-set");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->key, "sysctl");
  EXPECT_EQ(s->value, "vm.dirty_ratio=5");
}

TEST(AxisSettingTest, ParseErrorsNameTheOption) {
  EXPECT_EQ(error_of("colour=red"),
            "--candidate-set colour=red: unknown key colour (known: kernel, memory_mib, "
            "transport, fault, sysctl)");
  EXPECT_EQ(error_of("fault", "--base-set"),
            "--base-set fault: expected KEY=VALUE (keys: kernel, memory_mib, transport, fault, "
            "sysctl)");
  EXPECT_EQ(error_of("=none"),
            "--candidate-set =none: expected KEY=VALUE (keys: kernel, memory_mib, transport, "
            "fault, sysctl)");
  EXPECT_EQ(error_of("fault="), "--candidate-set fault=: the value is empty");
}

TEST(AxisSettingTest, ValuesAreCheckedAgainstTheMatrix) {
  EXPECT_EQ(apply_error({{"fault", "stall"}}),
            "--candidate-set fault=stall: no fault set stall in cmp.toml (known: scenario, "
            "none, early-stall)");
  EXPECT_EQ(apply_error({{"memory_mib", "32"}}),
            "--candidate-set memory_mib=32: memory_mib must be an integer 64..65536");
  EXPECT_EQ(apply_error({{"memory_mib", "12x"}}),
            "--candidate-set memory_mib=12x: memory_mib must be an integer 64..65536");
  EXPECT_NE(apply_error({{"transport", "carrier-pigeon"}})
                .find("--candidate-set transport=carrier-pigeon: unknown transport (known: nbd"),
            std::string::npos);
  EXPECT_NE(apply_error({{"sysctl", "kernel.panic=1"}})
                .find("--candidate-set sysctl=kernel.panic=1: kernel.panic is not an allowed "
                      "sysctl"),
            std::string::npos);
  EXPECT_EQ(apply_error({{"sysctl", "vm.dirty_ratio=lots"}}),
            "--candidate-set sysctl=vm.dirty_ratio=lots: vm.dirty_ratio: the value must be an "
            "integer, got \"lots\"");
  EXPECT_EQ(apply_error({{"sysctl", "quiet"}}),
            "--candidate-set sysctl=quiet: no sysctl set quiet in cmp.toml (known: default, "
            "low-dirty; or inline: vm.KEY=N,...)");
  EXPECT_EQ(apply_error({{"kernel", "/nonexistent/bzImage"}}),
            "--candidate-set kernel=/nonexistent/bzImage: kernel /nonexistent/bzImage is neither "
            "a file nor a directory (give a bzImage, a `wedge kernel build` folder, a built tree, "
            "\"default\", \"debian-amd64\" or \"debian:<release>\")");
  EXPECT_EQ(apply_error({{"fault", "none"}, {"fault", "early-stall"}}),
            "--candidate-set fault=early-stall: fault is already set to none");
  EXPECT_EQ(apply_error({{"fault", "early-stall"},
                         {"memory_mib", "256"},
                         {"transport", "nbd"},
                         {"sysctl", "vm.dirty_ratio=5,vm.swappiness=100"},
                         {"kernel", "default"}}),
            "");
}

// What a setting does is what the matrix axis with that one value does.
TEST(AxisSettingTest, SettingsReplaceTheAxisInTheExpandedCells) {
  config::Matrix m = matrix();
  ASSERT_TRUE(config::apply_axis_settings(
                  m, {{"fault", "none"}, {"sysctl", "vm.dirty_ratio=7"}, {"memory_mib", "320"}},
                  "--base-set")
                  .ok());
  auto cells = config::expand_matrix(m);
  ASSERT_TRUE(cells.ok()) << cells.error().message();
  ASSERT_EQ(cells->size(), 1u);  // memory_mib [128, 256] became [320]
  EXPECT_EQ(cells->front().id, "nbd-server-stall.mem-320.fault-none.sysctl-vm_dirty_ratio-7");
  auto s = config::parse_scenario(cells->front().toml, "cell.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(s->faults.empty());
  EXPECT_EQ(s->guest.memory_mib, 320);
  EXPECT_NE(s->guest.cmdline.find("sysctl.vm.dirty_ratio=7"), std::string::npos);

  config::Matrix k = matrix();
  ASSERT_TRUE(config::apply_axis_settings(k, {{"fault", "early-stall"}}, "--candidate-set").ok());
  auto killed = config::expand_matrix(k);
  ASSERT_TRUE(killed.ok()) << killed.error().message();
  ASSERT_EQ(killed->size(), 2u);
  auto ks = config::parse_scenario(killed->front().toml, "cell.toml");
  ASSERT_TRUE(ks.ok()) << ks.error().message();
  ASSERT_EQ(ks->faults.size(), 1u);
  EXPECT_EQ(ks->faults[0].kind, config::FaultKind::kServerStall);
  EXPECT_EQ(ks->faults[0].at_s, 5);
  EXPECT_EQ(ks->faults[0].duration_s, 3);
}

TEST(CompareSidesTest, SidesMustPairCellForCell) {
  // memory_mib has two values; replacing it on one side only would pair 1 cell with 2.
  auto one_sided = run::compare_matrices(matrix(), {{{"memory_mib", "256"}}, {}});
  ASSERT_FALSE(one_sided.ok());
  EXPECT_EQ(one_sided.error().message(),
            "--base-set memory_mib leaves one memory_mib on the base side but the matrix has 2 "
            "values of it on the candidate side, so the cells would not pair: set memory_mib on "
            "both sides");
  auto candidate_only = run::compare_matrices(matrix(), {{}, {{"memory_mib", "256"}}});
  ASSERT_FALSE(candidate_only.ok());
  EXPECT_NE(candidate_only.error().message().find("--candidate-set memory_mib"), std::string::npos);
  // An axis the matrix does not vary can be set on one side only.
  auto fault = run::compare_matrices(matrix(), {{{"fault", "none"}}, {}});
  ASSERT_TRUE(fault.ok()) << fault.error().message();
  EXPECT_EQ(fault->first.faults, std::vector<std::string>{"none"});
  EXPECT_TRUE(fault->second.faults.empty());
  auto bad = run::compare_matrices(matrix(), {{}, {{"fault", "nope"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("--candidate-set fault=nope: ", 0), 0u);
}

TEST(CompareSidesTest, TextAndJsonSayWhatDiffers) {
  run::CompareSides sides{{{"fault", "none"}}, {}};
  EXPECT_EQ(run::differing_keys(sides), std::vector<std::string>{"fault"});
  EXPECT_EQ(run::describe_difference(sides), "fault: none -> as the matrix has it");
  std::vector<run::CellComparison> rows{{"hog.fault-none", "hog", 0, 4, 4, 4, {}, {}}};
  rows[0].result = run::classify_change(0, 4, 4, 4);
  std::string text = run::compare_text(rows, sides);
  EXPECT_NE(text.find("base:      fault=none\n"), std::string::npos) << text;
  EXPECT_NE(text.find("candidate: as the matrix has it\n"), std::string::npos) << text;
  EXPECT_NE(text.find("differs:   fault: none -> as the matrix has it\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("0.0286  regressed"), std::string::npos) << text;
  auto json = run::compare_json(rows, sides);
  EXPECT_EQ(json["schema_version"], 2);
  EXPECT_EQ(json["base"]["settings"]["fault"], "none");
  EXPECT_EQ(json["base"]["description"], "fault=none");
  EXPECT_TRUE(json["candidate"]["settings"].empty());
  EXPECT_EQ(json["candidate"]["description"], "as the matrix has it");
  EXPECT_EQ(json["differs"], nlohmann::json::array({"fault"}));
  EXPECT_FALSE(json.contains("base_kernel"));
  EXPECT_EQ(json["cells"][0]["cell"], "hog.fault-none");
  EXPECT_EQ(json["cells"][0]["candidate"]["cell"], "hog");
  EXPECT_EQ(json["cells"][0]["change"], "regressed");
  EXPECT_TRUE(json["regressed"]);

  run::CompareSides kernels{{{"kernel", "default"}, {"memory_mib", "256"}},
                            {{"kernel", "/k/bzImage"}, {"memory_mib", "256"}}};
  EXPECT_EQ(run::differing_keys(kernels), std::vector<std::string>{"kernel"});
  EXPECT_EQ(run::describe_difference(kernels), "kernel: default -> /k/bzImage");
  EXPECT_EQ(run::describe_difference({}), "nothing (the same matrix twice)");
  EXPECT_EQ(run::compare_json({}, kernels)["candidate_kernel"], "/k/bzImage");
}

}  // namespace
}  // namespace wedge
