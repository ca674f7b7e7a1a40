// Tests for run/symbol_fetcher.h: what it asks the agent and when (the start of kallsyms after
// hello, module lines when the modules change, the rest when an answer was full), and the
// symbols it makes of the answers (real System.map and kallsyms excerpts, see
// tests/testdata/traces/README.md). No guest: frames are captured, answers made up.
#include "harness/run/symbol_fetcher.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "harness/agent_protocol/protocol.h"
#include "harness/util/files.h"

namespace wedge::run {
namespace {

namespace ap = agent_protocol;
namespace fs = std::filesystem;

std::string testdata(const std::string& name) {
  auto text = read_file(std::string(WEDGE_TESTDATA_DIR) + "/traces/" + name);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : std::string();
}

// A host->guest frame's type and fields.
struct Sent {
  uint16_t type = 0;
  std::map<uint16_t, std::string> fields;
  [[nodiscard]] uint64_t u64(uint16_t tag) const {
    auto it = fields.find(tag);
    if (it == fields.end() || it->second.size() != 8) return 0;
    return ap::load_u64(reinterpret_cast<const uint8_t*>(it->second.data()));
  }
  [[nodiscard]] bool has(uint16_t tag) const { return fields.count(tag) > 0; }
};

class SymbolFetcherTest : public ::testing::Test {
 protected:
  SymbolFetcherTest()
      : fetcher_(
            encoder_, [this] { return next_id_++; },
            [this](const std::string& frame) {
              Sent s;
              const auto* data = reinterpret_cast<const uint8_t*>(frame.data());
              ap::FrameHeader h{};
              EXPECT_TRUE(ap::decode_header(data, &h));
              s.type = h.type;
              ap::FieldReader r(data + ap::kHeaderSize, h.length);
              uint16_t tag;
              const uint8_t* value;
              uint32_t len;
              while (r.next(&tag, &value, &len)) {
                s.fields[tag] = std::string(reinterpret_cast<const char*>(value), len);
              }
              sent_.push_back(s);
              return ok_status();
            },
            [this] { return now_; }, [this](const std::string& line) { log_.push_back(line); }) {}

  // The frames sent since the last call.
  std::vector<Sent> take_sent() { return std::exchange(sent_, {}); }
  bool logged(const std::string& kind) const {
    for (const auto& line : log_) {
      if (line.find("\"kind\":\"" + kind + "\"") != std::string::npos) return true;
    }
    return false;
  }
  static agent::Sample sample(const std::string& proc_modules) {
    agent::Sample s;
    s.modules = proc_modules;
    return s;
  }

  agent::CommandEncoder encoder_;
  uint64_t next_id_ = 100;
  double now_ = 10;
  std::vector<Sent> sent_;
  std::vector<std::string> log_;
  SymbolFetcher fetcher_;
};

constexpr uint64_t kHaltRip = 0xffffffffa2217a0bULL;     // native_safe_halt+0xb
constexpr uint64_t kBalloonRip = 0xffffffffc0594030ULL;  // stats_request+0x10
constexpr const char* kBalloon = "virtio_balloon 24576 0 - Live 0xffffffffc0594000\n";

TEST_F(SymbolFetcherTest, OffsetAfterHelloThenModulesAsTheyChange) {
  fetcher_.use_system_map(fs::path(WEDGE_TESTDATA_DIR) / "traces/system-map-excerpt.txt");
  EXPECT_TRUE(logged("system_map"));
  fetcher_.on_sample(sample(kBalloon));
  EXPECT_TRUE(take_sent().empty()) << "nothing is asked before the agent said hello";

  fetcher_.on_hello();
  std::vector<Sent> sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, static_cast<uint16_t>(ap::MsgType::kReadFile));
  EXPECT_EQ(sent[0].fields[ap::field::kPath], "/proc/kallsyms");
  EXPECT_FALSE(sent[0].has(ap::field::kFilter));
  EXPECT_EQ(sent[0].u64(ap::field::kOffset), 0u);
  fetcher_.on_hello();  // the agent repeats it until the host speaks
  EXPECT_TRUE(take_sent().empty());

  EXPECT_FALSE(fetcher_.symbols().lookup(kHaltRip));
  now_ = 10.2;
  agent::File head{sent[0].u64(ap::field::kRequestId), "/proc/kallsyms",
                   testdata("kallsyms-head-excerpt.txt")};
  EXPECT_TRUE(fetcher_.on_file(head));
  EXPECT_TRUE(logged("kaslr_offset"));
  EXPECT_EQ(fetcher_.symbols().offset(), 0x20800000);
  EXPECT_EQ(fetcher_.symbols().lookup(kHaltRip), "native_safe_halt+0xb/0x10");
  EXPECT_NE(fetcher_.describe().find("KASLR offset 0x20800000"), std::string::npos)
      << fetcher_.describe();

  // The first sample after hello fetches the module lines; a full answer asks for the rest.
  fetcher_.on_sample(sample(kBalloon));
  sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].fields[ap::field::kFilter], "\t[");
  EXPECT_TRUE(fetcher_.fetching_modules());
  fetcher_.on_sample(sample(kBalloon));
  EXPECT_TRUE(take_sent().empty()) << "one fetch at a time";

  std::string lines = testdata("kallsyms-modules-excerpt.txt");
  size_t half = lines.find('\n', lines.size() / 2) + 1;
  agent::File first{sent[0].u64(ap::field::kRequestId),
                    "/proc/kallsyms",
                    lines.substr(0, half),
                    0,
                    "\t[",
                    3000000};
  EXPECT_TRUE(fetcher_.on_file(first));
  sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].u64(ap::field::kOffset), 3000000u);
  EXPECT_FALSE(fetcher_.symbols().lookup(kBalloonRip)) << "not before the last piece";
  agent::File rest{
      sent[0].u64(ap::field::kRequestId), "/proc/kallsyms", lines.substr(half), 3000000, "\t[", 0};
  EXPECT_TRUE(fetcher_.on_file(rest));
  EXPECT_FALSE(fetcher_.fetching_modules());
  EXPECT_TRUE(logged("module_symbols"));
  EXPECT_EQ(fetcher_.symbols().lookup(kBalloonRip), "stats_request+0x10/0x60 [virtio_balloon]");
  EXPECT_EQ(fetcher_.symbols().lookup(kHaltRip), "native_safe_halt+0xb/0x10");
  EXPECT_NE(fetcher_.describe().find("29 module text symbols"), std::string::npos)
      << fetcher_.describe();

  // Same modules (refcounts may change): nothing to do. A module more: fetch again.
  fetcher_.on_sample(sample("virtio_balloon 24576 1 - Live 0xffffffffc0594000\n"));
  EXPECT_TRUE(take_sent().empty());
  fetcher_.on_sample(sample(std::string("nbd 65536 0 - Live 0xffffffffc0600000\n") + kBalloon));
  sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].has(ap::field::kFilter));

  // Answers to other requests are not the fetcher's.
  EXPECT_FALSE(fetcher_.on_file(agent::File{7, "/proc/net/tcp", ""}));
  EXPECT_FALSE(fetcher_.on_failed(agent::Failed{0, 7, 2, "open"}));
}

TEST_F(SymbolFetcherTest, AFailedFetchWaitsForTheNextChange) {
  fetcher_.on_hello();
  EXPECT_TRUE(take_sent().empty()) << "no System.map: no offset to find";
  fetcher_.on_sample(sample(kBalloon));
  std::vector<Sent> sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(fetcher_.on_failed(
      agent::Failed{0, sent[0].u64(ap::field::kRequestId), 11, "read-file: file worker busy"}));
  EXPECT_TRUE(logged("module_symbols_error"));
  EXPECT_FALSE(fetcher_.fetching_modules());
  fetcher_.on_sample(sample(kBalloon));
  EXPECT_TRUE(take_sent().empty());
  fetcher_.on_sample(sample(""));
  EXPECT_EQ(take_sent().size(), 1u);
}

TEST_F(SymbolFetcherTest, AnUnansweredFetchIsGivenUpAfterAMinute) {
  fetcher_.on_hello();
  fetcher_.on_sample(sample(kBalloon));
  ASSERT_EQ(take_sent().size(), 1u);
  now_ += 30;
  fetcher_.on_sample(sample(""));
  EXPECT_TRUE(take_sent().empty());
  now_ += 31;
  fetcher_.on_sample(sample(""));
  EXPECT_EQ(take_sent().size(), 1u);
}

TEST_F(SymbolFetcherTest, AnAgentThatCannotFilterIsNotAskedAgain) {
  fetcher_.on_hello();
  fetcher_.on_sample(sample(kBalloon));
  std::vector<Sent> sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  // An older agent ignores kFilter and sends the start of the file.
  EXPECT_TRUE(fetcher_.on_file(agent::File{sent[0].u64(ap::field::kRequestId), "/proc/kallsyms",
                                           testdata("kallsyms-head-excerpt.txt")}));
  EXPECT_EQ(fetcher_.symbols().module_symbols(), 0u);
  fetcher_.on_sample(sample(""));
  EXPECT_TRUE(take_sent().empty());
}

TEST_F(SymbolFetcherTest, AMismatchedOrMissingSystemMapLeavesTheCoreUnnamed) {
  auto dir = TempDir::create("wedge-symbol-fetcher-test");
  ASSERT_TRUE(dir.ok());
  fs::path map = dir->path() / "System.map";
  // Another kernel: default_idle elsewhere, relative to _stext.
  ASSERT_TRUE(write_file_atomic(map,
                                "ffffffff81000000 T _stext\n"
                                "ffffffff81000100 T secondary_startup_64\n"
                                "ffffffff81000200 T verify_cpu\n")
                  .ok());
  fetcher_.use_system_map(map);
  fetcher_.on_hello();
  std::vector<Sent> sent = take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(fetcher_.on_file(agent::File{sent[0].u64(ap::field::kRequestId), "/proc/kallsyms",
                                           testdata("kallsyms-head-excerpt.txt")}));
  EXPECT_TRUE(logged("kaslr_offset_error"));
  EXPECT_FALSE(fetcher_.symbols().has_core());
  EXPECT_NE(fetcher_.describe().find("does not match"), std::string::npos) << fetcher_.describe();

  fetcher_.use_system_map(dir->path() / "missing");
  EXPECT_TRUE(logged("system_map_error"));
}

TEST(FindSystemMap, TheImagesOwnElseTheCachedDebianOneElseNone) {
  auto dir = TempDir::create("wedge-find-system-map-test");
  ASSERT_TRUE(dir.ok());
  image::GuestImage img;
  img.kernel_release = "6.1.0-56-cloud-amd64";
  EXPECT_EQ(find_system_map(img, dir->path()), fs::path());
  fs::path debug = dir->path() / "debug" / img.kernel_release;
  fs::create_directories(debug);
  ASSERT_TRUE(write_file_atomic(debug / "System.map", "ffffffff81000000 T _stext\n").ok());
  EXPECT_EQ(find_system_map(img, dir->path()), debug / "System.map");
  img.system_map = "/images/abc/System.map";
  EXPECT_EQ(find_system_map(img, dir->path()), img.system_map);
}

}  // namespace
}  // namespace wedge::run
