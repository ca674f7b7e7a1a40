// Implementation of decoder.h: resync on kMagic, header checks, per-type field decoding.
#include "harness/agent/decoder.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "harness/agent_protocol/protocol.h"

namespace wedge::agent {

namespace ap = agent_protocol;
namespace field = agent_protocol::field;

namespace {
constexpr std::string_view kMagicBytes("WDG1", 4);
static_assert(ap::kMagic == 0x31474457);  // kMagicBytes is its little-endian spelling

// The last occurrence of every known tag in a payload. Unknown tags are ignored (a newer
// agent may add fields); a tag seen twice keeps its last value.
class Fields {
 public:
  static constexpr uint16_t kMaxTag = 63;

  // False if the payload ends mid-field.
  bool parse(std::string_view payload) {
    const auto* data = reinterpret_cast<const uint8_t*>(payload.data());
    ap::FieldReader reader(data, payload.size());
    uint16_t tag;
    const uint8_t* value;
    uint32_t len;
    while (reader.next(&tag, &value, &len)) {
      if (tag > kMaxTag) continue;
      values_[tag] = std::string_view(reinterpret_cast<const char*>(value), len);
      present_[tag] = true;
    }
    return !reader.malformed();
  }

  [[nodiscard]] bool has(uint16_t tag) const { return present_[tag]; }
  [[nodiscard]] std::string str(uint16_t tag) const {
    return present_[tag] ? std::string(values_[tag]) : std::string();
  }
  // An integer field must be exactly 8 bytes; a wrong size makes the payload malformed.
  [[nodiscard]] uint64_t u64(uint16_t tag) {
    if (!present_[tag]) return 0;
    if (values_[tag].size() != 8) {
      bad_ = true;
      return 0;
    }
    return ap::load_u64(reinterpret_cast<const uint8_t*>(values_[tag].data()));
  }
  [[nodiscard]] int64_t i64(uint16_t tag) { return static_cast<int64_t>(u64(tag)); }
  // Small signed values (exit codes, signals, errno, stream): out of int range is malformed.
  [[nodiscard]] int small_int(uint16_t tag) {
    int64_t v = i64(tag);
    if (v < INT32_MIN || v > INT32_MAX) {
      bad_ = true;
      return 0;
    }
    return static_cast<int>(v);
  }
  [[nodiscard]] bool bad() const { return bad_; }

 private:
  std::array<std::string_view, kMaxTag + 1> values_{};
  std::array<bool, kMaxTag + 1> present_{};
  bool bad_ = false;
};

std::optional<Message> build(ap::MsgType type, Fields& f) {
  switch (type) {
    case ap::MsgType::kHello:
      return Hello{f.str(field::kKernelRelease), f.str(field::kAgentVersion),
                   f.u64(field::kUptimeMs), f.u64(field::kRssKb), f.u64(field::kMemlockedKb)};
    case ap::MsgType::kHeartbeat:
      return Heartbeat{f.u64(field::kSeq), f.u64(field::kUptimeMs)};
    case ap::MsgType::kSample: {
      Sample s{f.u64(field::kUptimeMs),  f.str(field::kMeminfo), f.str(field::kVmstat),
               f.str(field::kPsiMemory), f.str(field::kPsiIo),   f.str(field::kModules)};
      for (size_t i = 0; i < ap::kMaxWatched; ++i) {
        auto tag = static_cast<uint16_t>(field::kWatched0 + i);
        if (!f.has(tag)) continue;
        // path NUL text; a field without the NUL, or longer than the agent ever sends, is
        // not a watched file.
        std::string value = f.str(tag);
        size_t nul = value.find('\0');
        if (nul == std::string::npos || nul == 0 || nul >= ap::kMaxWatchedPath ||
            value.size() - nul - 1 > ap::kMaxWatchedText) {
          continue;
        }
        s.watched.push_back({value.substr(0, nul), value.substr(nul + 1)});
      }
      return s;
    }
    case ap::MsgType::kStarted:
      return Started{f.u64(field::kJobId), f.i64(field::kPid)};
    case ap::MsgType::kOutput:
      return Output{f.u64(field::kJobId), f.small_int(field::kStream), f.str(field::kData)};
    case ap::MsgType::kExited:
      return Exited{f.u64(field::kJobId), f.small_int(field::kExitCode),
                    f.small_int(field::kSignal)};
    case ap::MsgType::kFailed:
      return Failed{f.u64(field::kJobId), f.u64(field::kRequestId), f.small_int(field::kErrno),
                    f.str(field::kText)};
    case ap::MsgType::kDone:
      return Done{f.u64(field::kRequestId), f.u64(field::kJobId)};
    case ap::MsgType::kLog:
      return Log{f.str(field::kText)};
    case ap::MsgType::kFile:
      return File{f.u64(field::kRequestId), f.str(field::kPath),   f.str(field::kData),
                  f.u64(field::kOffset),    f.str(field::kFilter), f.u64(field::kNextOffset)};
    case ap::MsgType::kTask:
      return Task{f.u64(field::kRequestId), f.i64(field::kPid),   f.str(field::kComm),
                  f.str(field::kState),     f.str(field::kWchan), f.str(field::kData)};
    default:
      return std::nullopt;  // host->guest types and unknown numbers
  }
}
}  // namespace

std::optional<Message> decode_payload(uint16_t type, std::string_view payload, bool* malformed) {
  *malformed = false;
  Fields fields;
  bool complete = fields.parse(payload);
  std::optional<Message> message = build(static_cast<ap::MsgType>(type), fields);
  if (!message) return std::nullopt;
  if (!complete || fields.bad()) {
    *malformed = true;
    return std::nullopt;
  }
  return message;
}

void Decoder::feed(std::string_view bytes) {
  // Compact once the consumed prefix dominates, so the buffer does not creep.
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  if (bytes.size() > kMaxBuffered) {
    stats_.overflow_bytes += bytes.size() - kMaxBuffered;
    bytes.remove_prefix(bytes.size() - kMaxBuffered);
  }
  size_t pending = buffer_.size() - pos_;
  if (pending + bytes.size() > kMaxBuffered) {
    size_t drop = pending + bytes.size() - kMaxBuffered;
    stats_.overflow_bytes += drop;
    pos_ += drop;
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

void Decoder::skip(size_t n) {
  stats_.skipped_bytes += n;
  pos_ += n;
}

std::optional<Message> Decoder::next() {
  for (;;) {
    std::string_view rest(buffer_.data() + pos_, buffer_.size() - pos_);
    if (rest.empty()) return std::nullopt;
    size_t magic = rest.find(kMagicBytes);
    if (magic == std::string_view::npos) {
      // Keep a tail that may be the start of a magic split across feeds.
      size_t keep = 0;
      for (size_t k = std::min<size_t>(3, rest.size()); k > 0; --k) {
        if (rest.substr(rest.size() - k) == kMagicBytes.substr(0, k)) {
          keep = k;
          break;
        }
      }
      skip(rest.size() - keep);
      return std::nullopt;
    }
    if (magic > 0) {
      skip(magic);
      continue;
    }
    if (rest.size() < ap::kHeaderSize) return std::nullopt;
    ap::FrameHeader header{};
    if (!ap::decode_header(reinterpret_cast<const uint8_t*>(rest.data()), &header)) {
      ++stats_.bad_headers;
      skip(1);
      continue;
    }
    if (rest.size() < ap::kHeaderSize + header.length) return std::nullopt;
    std::string_view payload = rest.substr(ap::kHeaderSize, header.length);
    bool malformed = false;
    std::optional<Message> message = decode_payload(header.type, payload, &malformed);
    if (malformed) {
      // A valid-looking header over a broken payload may be garbage that happened to hold a
      // magic: look for the next frame from one byte on rather than trusting its length.
      ++stats_.malformed;
      skip(1);
      continue;
    }
    pos_ += ap::kHeaderSize + header.length;
    if (last_seq_ && header.seq != *last_seq_ + 1) ++stats_.seq_gaps;
    last_seq_ = header.seq;
    if (!message) {
      ++stats_.unknown_types;
      continue;
    }
    ++stats_.frames;
    return message;
  }
}

}  // namespace wedge::agent
