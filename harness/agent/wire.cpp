// Implementation of wire.h.
#include "harness/agent/wire.h"

namespace wedge::agent {

namespace ap = agent_protocol;

PayloadBuilder& PayloadBuilder::bytes(uint16_t tag, std::string_view data) {
  uint8_t head[6];
  ap::store_u16(head, tag);
  ap::store_u32(head + 2, static_cast<uint32_t>(data.size()));
  payload_.append(reinterpret_cast<const char*>(head), sizeof head);
  payload_.append(data);
  return *this;
}

PayloadBuilder& PayloadBuilder::u64(uint16_t tag, uint64_t value) {
  uint8_t raw[8];
  ap::store_u64(raw, value);
  return bytes(tag, std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

std::string make_frame(uint16_t type, uint32_t seq, std::string_view payload) {
  uint8_t header[ap::kHeaderSize];
  ap::encode_header(header, static_cast<ap::MsgType>(type), seq,
                    static_cast<uint32_t>(payload.size()));
  std::string frame(reinterpret_cast<const char*>(header), sizeof header);
  frame.append(payload);
  return frame;
}

}  // namespace wedge::agent
