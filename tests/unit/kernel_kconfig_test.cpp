// Unit tests for harness/kernel/kconfig and kconfig_deps: fragment merge as merge_config.sh
// does it, the survival check after olddefconfig, and the error naming the dependency that
// dropped an option (on a tiny fake Kconfig tree).
#include <gtest/gtest.h>

#include "harness/kernel/fragments.h"
#include "harness/kernel/kconfig.h"
#include "harness/kernel/kconfig_deps.h"
#include "harness/util/files.h"

namespace wedge::kernel {
namespace {

namespace fs = std::filesystem;

KconfigFile parsed(std::string_view text, const std::string& name) {
  auto file = parse_kconfig(text, name);
  EXPECT_TRUE(file.ok()) << file.error().message();
  return file.ok() ? *file : KconfigFile{};
}

TEST(Kconfig, ParsesValuesAndNotSetComments) {
  KconfigFile f = parsed(
      "#\n# Automatically generated\n#\nCONFIG_SWAP=y\n# CONFIG_NBD is not set\n"
      "CONFIG_LOG_BUF_SHIFT=17\nCONFIG_LOCALVERSION=\"-wedge\"\n\n",
      "a.config");
  ASSERT_EQ(f.values.size(), 4u);
  EXPECT_EQ(f.value_of("SWAP"), "y");
  EXPECT_EQ(f.value_of("NBD"), "n");
  EXPECT_EQ(f.value_of("LOG_BUF_SHIFT"), "17");
  EXPECT_EQ(f.value_of("LOCALVERSION"), "\"-wedge\"");
  EXPECT_EQ(f.values[1].origin, "a.config:5");
}

TEST(Kconfig, MalformedLineNamesFileAndLine) {
  auto f = parse_kconfig("CONFIG_SWAP=y\nSWAP=y\n", "bad.config");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("bad.config:2"), std::string::npos) << f.error().message();
}

TEST(Kconfig, LaterFragmentOverridesInPlaceAndNewSymbolsAppend) {
  KconfigFile base = parsed("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n", "base");
  KconfigFile first = parsed("CONFIG_B=m\nCONFIG_D=y\n", "first.config");
  KconfigFile second = parsed("CONFIG_B=y\n# CONFIG_C is not set\n", "second.config");
  KconfigFile merged = merge_kconfig(base, {first, second});
  EXPECT_EQ(render_kconfig(merged), "CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_D=y\n");
  EXPECT_EQ(merged.values[1].origin, "second.config:1");
  // What the fragments want ignores the base.
  KconfigFile wanted = wanted_options({first, second});
  EXPECT_EQ(render_kconfig(wanted), "CONFIG_B=y\nCONFIG_D=y\n# CONFIG_C is not set\n");
}

TEST(Kconfig, SurvivalCheckAcceptsPromotedModulesAndUnsetForN) {
  KconfigFile wanted =
      parsed("CONFIG_A=m\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_D=y\nCONFIG_E=y\n", "w");
  KconfigFile final_config = parsed("CONFIG_A=y\nCONFIG_B=y\nCONFIG_E=m\n", ".config");
  std::vector<DroppedOption> dropped = dropped_options(wanted, final_config);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].wanted.symbol, "D");
  EXPECT_EQ(dropped[0].actual, "n");
  EXPECT_EQ(dropped[1].wanted.symbol, "E");
  EXPECT_EQ(dropped[1].actual, "m");
}

TEST(KconfigDeps, BlockingSymbolsOfAnExpression) {
  KconfigFile final_config = parsed("CONFIG_NET=y\nCONFIG_BLOCK=m\nCONFIG_BROKEN=y\n", "c");
  EXPECT_EQ(blocking_symbols("NET && BLK_DEV", final_config, false),
            std::vector<std::string>{"BLK_DEV"});
  EXPECT_EQ(blocking_symbols("BLOCK && !BROKEN", final_config, true),
            (std::vector<std::string>{"BLOCK=m", "BROKEN (set, needed unset)"}));
  EXPECT_TRUE(blocking_symbols("NET || X86_32", final_config, false) ==
              std::vector<std::string>{"X86_32"});
  EXPECT_TRUE(blocking_symbols("$(cc-option,-mfoo) && NET", final_config, false).empty());
}

// A two-file fake tree: drivers/block/Kconfig (inside `if BLK_DEV`) and another arch's Kconfig
// that must be ignored.
class FakeKconfigTree : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-kconfig-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    fs::create_directories(root() / "drivers/block");
    fs::create_directories(root() / "arch/arm64");
    fs::create_directories(root() / "arch/x86");
    ASSERT_TRUE(
        write_file_atomic(root() / "drivers/block/Kconfig",
                          "menuconfig BLK_DEV\n\tbool \"Block devices\"\n\tdepends on BLOCK\n"
                          "\nif BLK_DEV\n\n"
                          "config BLK_DEV_NBD\n\ttristate \"Network block device\"\n"
                          "\tdepends on NET && \\\n\t  INET # needs TCP\n\thelp\n"
                          "\t  Say Y.\n\n"
                          "config BLK_DEV_RAM\n\ttristate \"RAM disk\"\n\nendif\n")
            .ok());
    ASSERT_TRUE(write_file_atomic(root() / "arch/arm64/Kconfig",
                                  "config BLK_DEV_NBD\n\tdepends on ARM_ONLY\n")
                    .ok());
    ASSERT_TRUE(write_file_atomic(root() / "arch/x86/Kconfig", "config X86\n\tdef_bool y\n").ok());
  }
  fs::path root() const { return dir_->path(); }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(FakeKconfigTree, DroppedOptionNamesTheUnsetDependency) {
  auto defs = load_kconfig_definitions(root());
  ASSERT_TRUE(defs.ok()) << defs.error().message();
  KconfigFile final_config = parsed("CONFIG_BLOCK=y\nCONFIG_BLK_DEV=y\nCONFIG_NET=y\n", ".config");
  DroppedOption dropped{{"BLK_DEV_NBD", "m", "nbd.config:3"}, "n"};
  std::string why = explain_dropped(dropped, *defs, final_config);
  EXPECT_EQ(why,
            "CONFIG_BLK_DEV_NBD=m (nbd.config:3) is n after olddefconfig: depends on NET && "
            "INET (drivers/block/Kconfig:9); unset there: INET")
      << why;
}

TEST_F(FakeKconfigTree, EnclosingIfBlockIsADependency) {
  auto defs = load_kconfig_definitions(root());
  ASSERT_TRUE(defs.ok());
  KconfigFile final_config = parsed("CONFIG_BLOCK=y\n", ".config");
  DroppedOption dropped{{"BLK_DEV_RAM", "y", "base.config:1"}, "n"};
  std::string why = explain_dropped(dropped, *defs, final_config);
  EXPECT_NE(why.find("depends on BLK_DEV (drivers/block/Kconfig:5); unset there: BLK_DEV"),
            std::string::npos)
      << why;
}

TEST_F(FakeKconfigTree, UnknownSymbolSaysSo) {
  auto defs = load_kconfig_definitions(root());
  ASSERT_TRUE(defs.ok());
  DroppedOption dropped{{"NO_SUCH", "y", "x.config:1"}, "n"};
  EXPECT_NE(explain_dropped(dropped, *defs, {}).find("no `config NO_SUCH`"), std::string::npos);
}

TEST(KconfigFragments, RepositoryFragmentsParseAndCoverEveryTransport) {
  std::vector<std::string> names = wanted_fragment_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "base");
  for (const char* needed : {"nbd", "iscsi", "nfs", "9p", "raid1", "ext4", "xfs", "btrfs"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), needed), names.end()) << needed;
  }
  auto fragments = load_fragments(fragment_dir(), names);
  ASSERT_TRUE(fragments.ok()) << fragments.error().message();
  KconfigFile wanted = wanted_options(*fragments);
  EXPECT_EQ(wanted.value_of("NFS_SWAP"), "y");
  EXPECT_EQ(wanted.value_of("MAGIC_SYSRQ"), "y");
  EXPECT_EQ(wanted.value_of("BLK_DEV_NBD"), "m");
}

// --builtin: every module a fragment asks for becomes built in; y, n and values stay.
TEST(KconfigFragments, BuiltInMakesEveryModuleYAndLeavesTheRest) {
  auto file = parse_kconfig(
      "CONFIG_BLK_DEV_NBD=m\nCONFIG_NFS_SWAP=y\n# CONFIG_FOO is not set\n"
      "CONFIG_LOG_BUF_SHIFT=17\n",
      "x.config");
  ASSERT_TRUE(file.ok()) << file.error().message();
  std::vector<KconfigFile> made = built_in({*file});
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].value_of("BLK_DEV_NBD"), "y");
  EXPECT_EQ(made[0].value_of("NFS_SWAP"), "y");
  EXPECT_EQ(made[0].value_of("FOO"), "n");
  EXPECT_EQ(made[0].value_of("LOG_BUF_SHIFT"), "17");

  auto wanted = wanted_fragments(true);
  ASSERT_TRUE(wanted.ok()) << wanted.error().message();
  for (const KconfigFile& fragment : *wanted) {
    for (const KconfigValue& option : fragment.values) {
      EXPECT_NE(option.value, "m") << option.origin << " " << option.symbol;
    }
  }
  auto as_modules = wanted_fragments(false);
  ASSERT_TRUE(as_modules.ok());
  EXPECT_EQ(wanted_options(*as_modules).value_of("BLK_DEV_NBD"), "m");
}

}  // namespace
}  // namespace wedge::kernel
