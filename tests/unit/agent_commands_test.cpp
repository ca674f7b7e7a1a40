// Unit tests for harness/agent's CommandEncoder: frames carry the right type, sequence and
// fields (read back with the protocol's own FieldReader), and limits are enforced.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent_protocol/protocol.h"

namespace wedge::agent {
namespace {

namespace ap = agent_protocol;
namespace field = agent_protocol::field;

struct Parsed {
  ap::FrameHeader header{};
  std::multimap<uint16_t, std::string> fields;
  [[nodiscard]] std::string one(uint16_t tag) const {
    auto it = fields.find(tag);
    return it == fields.end() ? std::string() : it->second;
  }
  [[nodiscard]] uint64_t u64(uint16_t tag) const {
    std::string v = one(tag);
    return v.size() == 8 ? ap::load_u64(reinterpret_cast<const uint8_t*>(v.data())) : ~0ull;
  }
  [[nodiscard]] std::vector<std::string> all(uint16_t tag) const {
    std::vector<std::string> out;
    auto [begin, end] = fields.equal_range(tag);
    for (auto it = begin; it != end; ++it) out.push_back(it->second);
    return out;
  }
};

Parsed parse(const std::string& frame) {
  Parsed p;
  EXPECT_GE(frame.size(), ap::kHeaderSize);
  const auto* data = reinterpret_cast<const uint8_t*>(frame.data());
  EXPECT_TRUE(ap::decode_header(data, &p.header));
  EXPECT_EQ(p.header.length, frame.size() - ap::kHeaderSize);
  ap::FieldReader reader(data + ap::kHeaderSize, frame.size() - ap::kHeaderSize);
  uint16_t tag;
  const uint8_t* value;
  uint32_t len;
  while (reader.next(&tag, &value, &len)) {
    p.fields.emplace(tag, std::string(reinterpret_cast<const char*>(value), len));
  }
  EXPECT_FALSE(reader.malformed());
  return p;
}

TEST(AgentCommands, ExecCarriesArgvEnvAndCwdInOrder) {
  CommandEncoder enc;
  auto frame = enc.encode_exec(7, {"/bin/sh", "-c", "echo hi"}, {"PATH=/bin", "A=b"}, "/tmp");
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  Parsed p = parse(*frame);
  EXPECT_EQ(p.header.type, static_cast<uint16_t>(ap::MsgType::kExec));
  EXPECT_EQ(p.header.seq, 0u);
  EXPECT_EQ(p.u64(field::kJobId), 7u);
  EXPECT_EQ(p.all(field::kArg), (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(p.all(field::kEnv), (std::vector<std::string>{"PATH=/bin", "A=b"}));
  EXPECT_EQ(p.one(field::kCwd), "/tmp");
}

TEST(AgentCommands, ExecWithoutEnvOrCwdLeavesThemOut) {
  CommandEncoder enc;
  auto frame = enc.encode_exec(1, {"true"});
  ASSERT_TRUE(frame.ok());
  Parsed p = parse(*frame);
  EXPECT_EQ(p.fields.count(field::kEnv), 0u);
  EXPECT_EQ(p.fields.count(field::kCwd), 0u);
}

TEST(AgentCommands, ExecLimits) {
  CommandEncoder enc;
  EXPECT_FALSE(enc.encode_exec(1, {}).ok());
  EXPECT_FALSE(enc.encode_exec(1, {""}).ok());
  EXPECT_FALSE(enc.encode_exec(1, {std::string("a\0b", 3)}).ok());
  EXPECT_FALSE(enc.encode_exec(1, std::vector<std::string>(257, "x")).ok());
  EXPECT_FALSE(enc.encode_exec(1, {"x", std::string(70000, 'y')}).ok());
  auto too_big = enc.encode_exec(1, {"x", std::string(70000, 'y')});
  EXPECT_NE(too_big.error().message().find("more than 65536"), std::string::npos)
      << too_big.error().message();
  EXPECT_TRUE(enc.encode_exec(1, std::vector<std::string>(256, "x")).ok());
}

TEST(AgentCommands, SequenceNumbersAndRequestIdsCount) {
  CommandEncoder enc;
  EXPECT_EQ(enc.next_request_id(), 1u);
  EXPECT_EQ(enc.next_request_id(), 2u);
  EXPECT_EQ(parse(enc.encode_ping(1)).header.seq, 0u);
  EXPECT_EQ(parse(enc.encode_ping(2)).header.seq, 1u);
  EXPECT_EQ(enc.next_seq(), 2u);
}

TEST(AgentCommands, SmallRequests) {
  CommandEncoder enc;
  Parsed sig = parse(enc.encode_signal(3, SIGKILL, 9));
  EXPECT_EQ(sig.header.type, static_cast<uint16_t>(ap::MsgType::kSignal));
  EXPECT_EQ(sig.u64(field::kJobId), 3u);
  EXPECT_EQ(sig.u64(field::kSignal), static_cast<uint64_t>(SIGKILL));
  EXPECT_EQ(sig.u64(field::kRequestId), 9u);
  EXPECT_EQ(parse(enc.encode_signal(3, SIGTERM)).fields.count(field::kRequestId), 0u);

  Parsed sysrq = parse(enc.encode_sysrq(4, 'w'));
  EXPECT_EQ(sysrq.header.type, static_cast<uint16_t>(ap::MsgType::kSysrq));
  EXPECT_EQ(sysrq.one(field::kKey), "w");
  EXPECT_EQ(sysrq.u64(field::kRequestId), 4u);

  Parsed ping = parse(enc.encode_ping(5));
  EXPECT_EQ(ping.header.type, static_cast<uint16_t>(ap::MsgType::kPing));
  EXPECT_EQ(ping.u64(field::kRequestId), 5u);

  Parsed off = parse(enc.encode_poweroff());
  EXPECT_EQ(off.header.type, static_cast<uint16_t>(ap::MsgType::kPoweroff));
  EXPECT_TRUE(off.fields.empty());
}

TEST(AgentCommands, FileRequests) {
  CommandEncoder enc;
  auto write = enc.encode_write_file(6, "/proc/sys/vm/swappiness", "100");
  ASSERT_TRUE(write.ok());
  Parsed w = parse(*write);
  EXPECT_EQ(w.header.type, static_cast<uint16_t>(ap::MsgType::kWriteFile));
  EXPECT_EQ(w.u64(field::kRequestId), 6u);
  EXPECT_EQ(w.one(field::kPath), "/proc/sys/vm/swappiness");
  EXPECT_EQ(w.one(field::kData), "100");
  auto read = enc.encode_read_file(7, "/sys/fs/cgroup/memory.max");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(parse(*read).one(field::kPath), "/sys/fs/cgroup/memory.max");

  EXPECT_FALSE(enc.encode_write_file(8, "", "x").ok());
  EXPECT_FALSE(enc.encode_read_file(8, std::string("/a\0b", 4)).ok());
  EXPECT_FALSE(enc.encode_read_file(8, std::string(5000, 'p')).ok());
  EXPECT_FALSE(enc.encode_write_file(8, "/tmp/x", std::string(ap::kMaxPayload, 'd')).ok());
  // A failed encode does not use up a sequence number.
  uint32_t seq = enc.next_seq();
  EXPECT_FALSE(enc.encode_write_file(9, "", "").ok());
  EXPECT_EQ(enc.next_seq(), seq);
}

}  // namespace
}  // namespace wedge::agent

namespace wedge::agent {
namespace {

TEST(AgentCommands, ReadFileAtAnOffset) {
  CommandEncoder enc;
  Parsed plain = parse(*enc.encode_read_file(7, "/proc/kallsyms"));
  EXPECT_EQ(plain.fields.count(field::kOffset), 0u);  // the old form: from byte 0
  Parsed paged = parse(*enc.encode_read_file(8, "/proc/kallsyms", 61440));
  EXPECT_EQ(paged.header.type, static_cast<uint16_t>(ap::MsgType::kReadFile));
  EXPECT_EQ(paged.u64(field::kRequestId), 8u);
  EXPECT_EQ(paged.one(field::kPath), "/proc/kallsyms");
  EXPECT_EQ(paged.u64(field::kOffset), 61440u);
  EXPECT_FALSE(enc.encode_read_file(9, "", 0).ok());
  EXPECT_FALSE(enc.encode_read_file(9, "/x", ~0ull).ok());
}

TEST(AgentCommands, ReadLinesCarriesTheFilter) {
  CommandEncoder enc;
  auto frame = enc.encode_read_lines(9, "/proc/kallsyms", "\t[");
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  Parsed lines = parse(*frame);
  EXPECT_EQ(lines.header.type, static_cast<uint16_t>(ap::MsgType::kReadFile));
  EXPECT_EQ(lines.u64(field::kRequestId), 9u);
  EXPECT_EQ(lines.one(field::kPath), "/proc/kallsyms");
  EXPECT_EQ(lines.one(field::kFilter), "\t[");
  EXPECT_EQ(lines.fields.count(field::kOffset), 0u);
  EXPECT_EQ(parse(*enc.encode_read_lines(10, "/proc/kallsyms", "\t[", 123456)).u64(field::kOffset),
            123456u);
  EXPECT_FALSE(enc.encode_read_lines(11, "/proc/kallsyms", "").ok());
  EXPECT_FALSE(enc.encode_read_lines(11, "/proc/kallsyms", std::string(65, 'x')).ok());
  EXPECT_FALSE(enc.encode_read_lines(11, "", "x").ok());
  EXPECT_FALSE(enc.encode_read_lines(11, "/x", "x", ~0ull).ok());
}

TEST(AgentCommands, ScanTasks) {
  CommandEncoder enc;
  auto frame = enc.encode_scan_tasks(5, "DR");
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  Parsed scan = parse(*frame);
  EXPECT_EQ(scan.header.type, static_cast<uint16_t>(ap::MsgType::kScanTasks));
  EXPECT_EQ(scan.u64(field::kRequestId), 5u);
  EXPECT_EQ(scan.one(field::kText), "DR");
  EXPECT_FALSE(enc.encode_scan_tasks(6, "").ok());
  EXPECT_FALSE(enc.encode_scan_tasks(6, "D R").ok());
  EXPECT_FALSE(enc.encode_scan_tasks(6, std::string("D\0", 2)).ok());
  EXPECT_FALSE(enc.encode_scan_tasks(6, std::string(17, 'D')).ok());
}

// kWatch: up to kMaxWatched absolute paths, in order, each shorter than kMaxWatchedPath.
TEST(AgentCommands, WatchCarriesBoundedAbsolutePathsInOrder) {
  CommandEncoder enc;
  auto frame = enc.encode_watch(9, {"/sys/fs/cgroup/wedge/memory.current", "/sys/block/nbd0/stat"});
  ASSERT_TRUE(frame.ok()) << frame.error().message();
  Parsed p = parse(*frame);
  EXPECT_EQ(p.header.type, static_cast<uint16_t>(ap::MsgType::kWatch));
  EXPECT_EQ(p.u64(field::kRequestId), 9u);
  EXPECT_EQ(p.all(field::kPath), (std::vector<std::string>{"/sys/fs/cgroup/wedge/memory.current",
                                                           "/sys/block/nbd0/stat"}));
  EXPECT_TRUE(enc.encode_watch(10, {}).ok());  // stop watching
  EXPECT_FALSE(enc.encode_watch(11, std::vector<std::string>(ap::kMaxWatched + 1, "/x")).ok());
  EXPECT_TRUE(enc.encode_watch(11, std::vector<std::string>(ap::kMaxWatched, "/x")).ok());
  EXPECT_FALSE(enc.encode_watch(12, {"relative/path"}).ok());
  EXPECT_FALSE(enc.encode_watch(12, {""}).ok());
  EXPECT_FALSE(enc.encode_watch(12, {std::string("/a\0b", 4)}).ok());
  EXPECT_FALSE(enc.encode_watch(12, {"/" + std::string(ap::kMaxWatchedPath - 1, 'a')}).ok());
  EXPECT_TRUE(enc.encode_watch(12, {"/" + std::string(ap::kMaxWatchedPath - 2, 'a')}).ok());
}

}  // namespace
}  // namespace wedge::agent
