// Unit tests for harness/agent's Decoder: every message type round-trips, input split at any
// byte, garbage, bad headers, truncated and malformed frames, and a bounded random fuzz.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "harness/agent/decoder.h"
#include "harness/agent/messages.h"
#include "harness/agent/wire.h"
#include "harness/agent_protocol/protocol.h"

namespace wedge::agent {
namespace {

namespace ap = agent_protocol;
namespace field = agent_protocol::field;

std::vector<Message> all_kinds() {
  return {
      Hello{"6.1.0-56-cloud-amd64", "0.1.0", 2100, 5120, 5100},
      Heartbeat{7, 9000},
      Sample{9001, "MemTotal:  262144 kB\n", "pswpout 12\n",
             "some avg10=1.00 avg60=0.00 avg300=0.00 total=10\n",
             "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"},
      Started{3, 412},
      Output{3, 2, std::string("bin\0ary\n", 8)},
      Exited{3, 0, 9},
      Exited{4, 127, 0},
      Failed{5, 0, 2, "exec /nope: No such file or directory"},
      Failed{0, 11, 13, "open /proc/sys/vm/x: Permission denied"},
      Done{12, 0},
      Done{13, 3},
      Log{"module /lib/modules/x.ko: finit_module: Invalid argument"},
      File{14, "/proc/sys/vm/swappiness", "60\n"},
      File{15, "/proc/kallsyms", "ffffffff81000000 T _stext\n", 61440},
      File{16, "/proc/kallsyms", "ffffffffc0353000 t nbd_queue_rq\t[nbd]\n", 0, "\t[", 3696000},
      Sample{9002, "MemTotal:  262144 kB\n", "pswpout 12\n", "", "",
             "nbd 65536 0 - Live 0xffffffffc0353000\n"},
      Sample{9003,
             "MemTotal:  262144 kB\n",
             "",
             "",
             "",
             "",
             {{"/sys/fs/cgroup/wedge/memory.current", "67108864\n"},
              {"/sys/class/block/nbd0/inflight", "       0        3\n"}}},
      Task{16, 143, "nbd-server", "D", "mempool_alloc",
           "[<0>] mempool_alloc+0x172/0x1b0\n[<0>] bio_alloc_bioset+0x1e2/0x490\n"},
      Task{16, 2, "kthreadd", "S", "kthreadd", ""},
  };
}

std::vector<Message> decode_all(Decoder& decoder) {
  std::vector<Message> out;
  while (std::optional<Message> m = decoder.next()) out.push_back(std::move(*m));
  return out;
}

std::string encode_all(const std::vector<Message>& messages, uint32_t first_seq = 0) {
  std::string bytes;
  for (const Message& m : messages) bytes += encode_message(m, first_seq++);
  return bytes;
}

// Watched files are "path NUL text" fields in slots kWatched0..+7: a field without the NUL, an
// empty path, a path or text longer than the agent sends, or a slot past the last is dropped.
TEST(AgentDecoder, WatchedFilesAreBoundedAndMalformedOnesDropped) {
  PayloadBuilder b;
  b.u64(field::kUptimeMs, 1)
      .bytes(field::kWatched0, std::string("/a\0"
                                           "1\n",
                                           5))
      .bytes(field::kWatched0 + 1, "no-nul-here")
      .bytes(field::kWatched0 + 2, std::string("\0"
                                               "7",
                                               2))
      .bytes(field::kWatched0 + 3, "/b" + std::string(1, '\0') + std::string(1025, 'x'))
      .bytes(field::kWatched0 + 4, std::string(200, '/') + std::string(1, '\0') + "1")
      .bytes(field::kWatched0 + 5, "/c" + std::string(1, '\0') + std::string(1024, '9'))
      .bytes(field::kWatched0 + ap::kMaxWatched, std::string("/d\0"
                                                             "2",
                                                             4));
  std::string payload = b.take();
  std::string frame(ap::kHeaderSize, '\0');
  ap::encode_header(reinterpret_cast<uint8_t*>(frame.data()), ap::MsgType::kSample, 0,
                    static_cast<uint32_t>(payload.size()));
  Decoder d;
  d.feed(frame + payload);
  auto m = d.next();
  ASSERT_TRUE(m);
  const auto* s = std::get_if<Sample>(&*m);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->watched.size(), 2u);
  EXPECT_EQ(s->watched[0], (WatchedFile{"/a", "1\n"}));
  EXPECT_EQ(s->watched[1].path, "/c");
  EXPECT_EQ(s->watched[1].text.size(), 1024u);
}

TEST(AgentDecoder, RoundTripsEveryMessageType) {
  std::vector<Message> messages = all_kinds();
  Decoder decoder;
  decoder.feed(encode_all(messages));
  EXPECT_EQ(decode_all(decoder), messages);
  DecoderStats stats = decoder.stats();
  EXPECT_EQ(stats.frames, messages.size());
  EXPECT_EQ(stats.skipped_bytes, 0u);
  EXPECT_EQ(stats.seq_gaps, 0u);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(AgentDecoder, NamesMessages) {
  EXPECT_STREQ(message_name(Heartbeat{}), "heartbeat");
  EXPECT_STREQ(message_name(File{}), "file");
  EXPECT_STREQ(message_name(Task{}), "task");
}

TEST(AgentDecoder, InputSplitAtEveryBytePosition) {
  std::vector<Message> messages = {Hello{"6.1", "0.1.0", 1, 2, 3}, Output{1, 1, "hi\n"},
                                   Exited{1, 0, 0}};
  std::string bytes = encode_all(messages);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    Decoder decoder;
    decoder.feed(std::string_view(bytes).substr(0, cut));
    std::vector<Message> got = decode_all(decoder);
    decoder.feed(std::string_view(bytes).substr(cut));
    for (Message& m : decode_all(decoder)) got.push_back(std::move(m));
    ASSERT_EQ(got, messages) << "cut at " << cut;
    EXPECT_EQ(decoder.stats().skipped_bytes, 0u) << "cut at " << cut;
  }
}

TEST(AgentDecoder, OneByteAtATime) {
  std::vector<Message> messages = all_kinds();
  std::string bytes = encode_all(messages);
  Decoder decoder;
  std::vector<Message> got;
  for (char c : bytes) {
    decoder.feed(std::string_view(&c, 1));
    for (Message& m : decode_all(decoder)) got.push_back(std::move(m));
  }
  EXPECT_EQ(got, messages);
}

TEST(AgentDecoder, SkipsGarbageBeforeAndBetweenFrames) {
  // Console noise, a partial magic ("WDG") and a lone "W" must all be skipped.
  std::string noise1 = "[    1.234] random console text\r\nWDG";
  std::string noise2 = "W\x01\x02garbage";
  std::string bytes =
      noise1 + encode_message(Heartbeat{1, 100}, 0) + noise2 + encode_message(Heartbeat{2, 200}, 1);
  Decoder decoder;
  decoder.feed(bytes);
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Heartbeat{1, 100}, Heartbeat{2, 200}}));
  EXPECT_EQ(decoder.stats().skipped_bytes, noise1.size() + noise2.size());
  EXPECT_EQ(decoder.stats().frames, 2u);
}

TEST(AgentDecoder, GarbageTailIsDroppedButPartialMagicKept) {
  Decoder decoder;
  decoder.feed("no frame here at all, WD");
  EXPECT_FALSE(decoder.next());
  EXPECT_EQ(decoder.buffered(), 2u);  // "WD" may start a frame
  std::string frame = encode_message(Heartbeat{5, 5}, 0);
  decoder.feed(frame.substr(2));  // the rest of that frame
  std::optional<Message> m = decoder.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, Message(Heartbeat{5, 5}));
}

TEST(AgentDecoder, RejectsBadVersionAndOversizedLength) {
  std::string bad_version = encode_message(Heartbeat{1, 1}, 0);
  ap::store_u16(reinterpret_cast<uint8_t*>(bad_version.data()) + 4, 2);
  std::string oversized = encode_message(Heartbeat{1, 1}, 0);
  ap::store_u32(reinterpret_cast<uint8_t*>(oversized.data()) + 8, ap::kMaxPayload + 1);
  Decoder decoder;
  decoder.feed(bad_version + oversized + encode_message(Log{"after"}, 1));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Log{"after"}}));
  DecoderStats stats = decoder.stats();
  EXPECT_EQ(stats.bad_headers, 2u);
  EXPECT_EQ(stats.skipped_bytes, bad_version.size() + oversized.size());
}

TEST(AgentDecoder, OversizedMessageIsNotDelivered) {
  Decoder decoder;
  decoder.feed(encode_message(Output{1, 1, std::string(ap::kMaxPayload, 'x')}, 0));
  decoder.feed(encode_message(Done{1, 0}, 1));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Done{1, 0}}));
  EXPECT_GE(decoder.stats().bad_headers, 1u);
}

TEST(AgentDecoder, TruncatedFinalFrameWaits) {
  std::string second = encode_message(Sample{1, "MemTotal: 1 kB\n", "", "", ""}, 1);
  Decoder decoder;
  decoder.feed(encode_message(Heartbeat{1, 1}, 0) + second.substr(0, second.size() - 3));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Heartbeat{1, 1}}));
  EXPECT_EQ(decoder.buffered(), second.size() - 3);
  EXPECT_EQ(decoder.stats().skipped_bytes, 0u);
  decoder.feed(second.substr(second.size() - 3));
  EXPECT_EQ(decode_all(decoder).size(), 1u);
}

TEST(AgentDecoder, MalformedPayloadsAreCountedAndSkipped) {
  auto heartbeat_type = static_cast<uint16_t>(ap::MsgType::kHeartbeat);
  // A field header that promises more bytes than the payload has.
  std::string cut_field = make_frame(heartbeat_type, 0, std::string("\x02\x00\xff\x00\x00\x00", 6));
  // A payload ending in the middle of a field header.
  std::string short_header = make_frame(heartbeat_type, 1, std::string("\x02\x00\x08", 3));
  // An integer field that is not 8 bytes.
  std::string short_int =
      make_frame(heartbeat_type, 2, PayloadBuilder().bytes(field::kSeq, "1234").take());
  // An exit code outside int range.
  std::string huge_code = make_frame(static_cast<uint16_t>(ap::MsgType::kExited), 3,
                                     PayloadBuilder().u64(field::kExitCode, 1ull << 40).take());
  Decoder decoder;
  decoder.feed(cut_field + short_header + short_int + huge_code +
               encode_message(Heartbeat{9, 9}, 4));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Heartbeat{9, 9}}));
  DecoderStats stats = decoder.stats();
  EXPECT_EQ(stats.malformed, 4u);
  EXPECT_EQ(stats.frames, 1u);
}

TEST(AgentDecoder, UnknownTagsAreIgnoredUnknownTypesSkipped) {
  std::string payload =
      PayloadBuilder().u64(field::kSeq, 4).u64(field::kUptimeMs, 5).bytes(999, "future").take();
  std::string unknown_type = make_frame(uint16_t{4242}, 1, "whatever, even not fields");
  std::string host_type =
      make_frame(ap::MsgType::kPing, 2, PayloadBuilder().u64(field::kRequestId, 1).take());
  Decoder decoder;
  decoder.feed(make_frame(ap::MsgType::kHeartbeat, 0, payload) + unknown_type + host_type +
               encode_message(Log{"x"}, 3));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Heartbeat{4, 5}, Log{"x"}}));
  EXPECT_EQ(decoder.stats().unknown_types, 2u);
  EXPECT_EQ(decoder.stats().skipped_bytes, 0u);
}

TEST(AgentDecoder, MissingFieldsReadAsZero) {
  Decoder decoder;
  decoder.feed(make_frame(ap::MsgType::kHello, 0, ""));
  std::optional<Message> m = decoder.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, Message(Hello{}));
}

TEST(AgentDecoder, CountsSequenceGaps) {
  Decoder decoder;
  decoder.feed(encode_message(Heartbeat{1, 1}, 10) + encode_message(Heartbeat{2, 2}, 11) +
               encode_message(Heartbeat{3, 3}, 15));
  EXPECT_EQ(decode_all(decoder).size(), 3u);
  EXPECT_EQ(decoder.stats().seq_gaps, 1u);
}

TEST(AgentDecoder, BufferIsBounded) {
  Decoder decoder;
  std::string junk(1 << 20, 'W');                   // never a magic, but every byte might start one
  for (int i = 0; i < 10; ++i) decoder.feed(junk);  // nobody calls next()
  EXPECT_LE(decoder.buffered(), Decoder::kMaxBuffered);
  EXPECT_EQ(decoder.stats().overflow_bytes, 10 * junk.size() - Decoder::kMaxBuffered);
  EXPECT_FALSE(decoder.next());
  decoder.feed(encode_message(Heartbeat{1, 1}, 0));
  EXPECT_EQ(decode_all(decoder), (std::vector<Message>{Heartbeat{1, 1}}));
  EXPECT_EQ(decoder.buffered(), 0u);
}

// Random bytes, random mutations of valid frames and random splits: never a crash, never an
// unbounded buffer, and a valid frame after the noise still decodes.
TEST(AgentDecoder, FuzzedInputNeverBreaksTheDecoder) {
  std::mt19937 rng(0x57444731);
  std::vector<Message> kinds = all_kinds();
  for (int round = 0; round < 2000; ++round) {
    std::string noise;
    int pieces = 1 + static_cast<int>(rng() % 8);
    for (int p = 0; p < pieces; ++p) {
      switch (rng() % 3) {
        case 0: {  // random bytes, sometimes containing a magic
          size_t n = rng() % 200;
          for (size_t i = 0; i < n; ++i) noise += static_cast<char>(rng());
          if (rng() % 2) noise += "WDG1";
          break;
        }
        case 1: {  // a valid frame with a few bytes flipped
          std::string frame = encode_message(kinds[rng() % kinds.size()], rng());
          for (int f = 0; f < 3; ++f) frame[rng() % frame.size()] = static_cast<char>(rng());
          noise += frame;
          break;
        }
        default: {  // a valid frame cut short
          std::string frame = encode_message(kinds[rng() % kinds.size()], rng());
          noise += frame.substr(0, rng() % frame.size());
          break;
        }
      }
    }
    Decoder decoder;
    size_t pos = 0;
    while (pos < noise.size()) {
      size_t n = 1 + rng() % 64;
      decoder.feed(std::string_view(noise).substr(pos, n));
      pos += n;
      while (decoder.next()) {
      }
      ASSERT_LE(decoder.buffered(), Decoder::kMaxBuffered);
    }
    // A flipped length can hold back up to one maximal frame's worth of what follows, so
    // the marker frame comes after enough valid traffic to flush any such false header.
    for (int i = 0; i < 2; ++i)
      decoder.feed(encode_message(Output{1, 1, std::string(40000, 'a')}, 0));
    decoder.feed(encode_message(Log{"marker"}, 0));
    bool seen = false;
    while (std::optional<Message> m = decoder.next()) seen |= *m == Message(Log{"marker"});
    ASSERT_TRUE(seen) << "round " << round;
  }
}

}  // namespace
}  // namespace wedge::agent

namespace wedge::agent {
namespace {

// A kFile from an older agent has no kOffset: it is a piece from byte 0.
TEST(AgentDecoder, FileWithoutOffsetStartsAtZeroAndTaskPidMustBeEightBytes) {
  namespace ap = agent_protocol;
  namespace field = agent_protocol::field;
  bool malformed = false;
  auto file = decode_payload(static_cast<uint16_t>(ap::MsgType::kFile),
                             PayloadBuilder()
                                 .u64(field::kRequestId, 3)
                                 .bytes(field::kPath, "/x")
                                 .bytes(field::kData, "abc")
                                 .take(),
                             &malformed);
  ASSERT_TRUE(file);
  EXPECT_EQ(std::get<File>(*file), (File{3, "/x", "abc", 0}));
  auto task = decode_payload(static_cast<uint16_t>(ap::MsgType::kTask),
                             PayloadBuilder().bytes(field::kPid, "12").take(), &malformed);
  EXPECT_FALSE(task);
  EXPECT_TRUE(malformed);
}

}  // namespace
}  // namespace wedge::agent
