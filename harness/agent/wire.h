// Host-side frame building: std::string counterparts of the agent's FieldWriter and
// encode_header, shared by the command encoders, encode_message and tests that need
// hand-made (including deliberately broken) frames.
//
//   std::string payload = PayloadBuilder().u64(field::kRequestId, 7).take();
//   std::string frame = make_frame(MsgType::kPing, /*seq=*/1, payload);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "harness/agent_protocol/protocol.h"

namespace wedge::agent {

class PayloadBuilder {
 public:
  // Appends a field: u16 tag, u32 length, bytes.
  PayloadBuilder& bytes(uint16_t tag, std::string_view data);
  PayloadBuilder& u64(uint16_t tag, uint64_t value);
  PayloadBuilder& i64(uint16_t tag, int64_t value) {
    return u64(tag, static_cast<uint64_t>(value));
  }

  [[nodiscard]] const std::string& payload() const { return payload_; }
  [[nodiscard]] std::string take() { return std::move(payload_); }

 private:
  std::string payload_;
};

// A header (kMagic, kVersion, type, length, seq) followed by payload. The type is a plain
// number so tests can build frames of unknown types.
[[nodiscard]] std::string make_frame(uint16_t type, uint32_t seq, std::string_view payload);
[[nodiscard]] inline std::string make_frame(agent_protocol::MsgType type, uint32_t seq,
                                            std::string_view payload) {
  return make_frame(static_cast<uint16_t>(type), seq, payload);
}

}  // namespace wedge::agent
