// Turns the untrusted byte stream from the guest agent into typed Messages. Garbage is skipped
// up to the next kMagic, bad headers cost one byte and a resync, malformed payloads and unknown
// types are counted and skipped; memory stays bounded whatever the guest sends.
//
//   Decoder decoder;
//   decoder.feed(bytes_read_from_the_channel);
//   while (std::optional<Message> m = decoder.next()) handle(*m);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/agent/messages.h"

namespace wedge::agent {

struct DecoderStats {
  uint64_t frames = 0;          // messages returned by next()
  uint64_t skipped_bytes = 0;   // bytes dropped while looking for a valid frame
  uint64_t bad_headers = 0;     // magic found but version or length wrong
  uint64_t malformed = 0;       // valid header, payload fields broken or of the wrong size
  uint64_t unknown_types = 0;   // well-formed frames of a type this host does not know
  uint64_t overflow_bytes = 0;  // bytes discarded because next() was not called in time
  uint64_t seq_gaps = 0;        // frames whose seq did not follow the previous one's
  bool operator==(const DecoderStats&) const = default;
};

class Decoder {
 public:
  // Unconsumed input kept at most; more means the caller stopped calling next(), and the
  // oldest bytes go (counted in overflow_bytes).
  static constexpr size_t kMaxBuffered = 4u << 20;

  // Appends bytes from the guest. Call next() until it returns nullopt after each feed.
  void feed(std::string_view bytes);

  // The next complete message, or nullopt when more input is needed.
  [[nodiscard]] std::optional<Message> next();

  [[nodiscard]] DecoderStats stats() const { return stats_; }
  // Bytes fed but not yet consumed (a partial frame, or garbage awaiting more input).
  [[nodiscard]] size_t buffered() const { return buffer_.size() - pos_; }

 private:
  void skip(size_t n);

  std::string buffer_;
  size_t pos_ = 0;
  DecoderStats stats_;
  std::optional<uint32_t> last_seq_;
};

// Decodes one payload of the given guest->host type. Returns nullopt for unknown types and
// malformed payloads (*malformed tells which). Exposed for tests.
[[nodiscard]] std::optional<Message> decode_payload(uint16_t type, std::string_view payload,
                                                    bool* malformed);

}  // namespace wedge::agent
