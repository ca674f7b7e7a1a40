// "I/N" parsing and cell membership for --shard.
#include "harness/run/shard.h"

#include <charconv>

namespace wedge::run {

std::string Shard::name() const { return fmt::format("{}/{}", index, count); }

Result<Shard> parse_shard(const std::string& text) {
  auto slash = text.find('/');
  Shard s;
  auto number = [](std::string_view v, int* out) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && end == v.data() + v.size();
  };
  if (slash == std::string::npos || !number(std::string_view(text).substr(0, slash), &s.index) ||
      !number(std::string_view(text).substr(slash + 1), &s.count) || s.count < 1 || s.index < 1 ||
      s.index > s.count) {
    return make_error("--shard {}: expected I/N with 1 <= I <= N (e.g. 2/4)", text);
  }
  return s;
}

bool in_shard(const Shard& shard, int cell_index) {
  return cell_index % shard.count == shard.index - 1;
}

}  // namespace wedge::run
