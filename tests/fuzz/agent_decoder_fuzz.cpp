// libFuzzer target: the host-side agent decoder over arbitrary guest bytes, fed in two pieces
// split where the input says, so that resync and partial frames are exercised.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/agent/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  wedge::agent::Decoder decoder;
  decoder.feed(bytes.substr(0, split));
  while (decoder.next()) {
  }
  decoder.feed(bytes.substr(split));
  while (decoder.next()) {
  }
  return 0;
}
