// Implementation of flood_meter.h: bytes counted per whole second of arrival time; a stretch
// of consecutive busy seconds becomes a flood once it is min_s long.
#include "harness/console/flood_meter.h"

#include <cmath>

namespace wedge::console {

void FloodMeter::close_second(int64_t second) {
  bool busy = second_bytes_ >= options_.bytes_per_s;
  if (busy) {
    if (run_len_ == 0 || second != run_start_ + run_len_) {
      if (run_len_ >= options_.min_s) {
        closed_.push_back({double(run_start_), double(run_start_ + run_len_), run_bytes_});
      }
      run_start_ = second;
      run_len_ = 0;
      run_bytes_ = 0;
    }
    ++run_len_;
    run_bytes_ += second_bytes_;
  } else if (run_len_ > 0) {
    if (run_len_ >= options_.min_s) {
      closed_.push_back({double(run_start_), double(run_start_ + run_len_), run_bytes_});
    }
    run_len_ = 0;
    run_bytes_ = 0;
  }
}

void FloodMeter::add(double now_s, size_t bytes) {
  total_ += bytes;
  auto second = static_cast<int64_t>(std::floor(now_s));
  if (second_ == INT64_MIN) second_ = second;
  while (second_ < second) {
    close_second(second_);
    second_bytes_ = 0;
    ++second_;
  }
  second_bytes_ += bytes;
}

std::vector<Flood> FloodMeter::floods() const {
  std::vector<Flood> out = closed_;
  if (run_len_ >= options_.min_s) {
    out.push_back({double(run_start_), double(run_start_ + run_len_), run_bytes_});
  }
  return out;
}

bool FloodMeter::flooding() const { return run_len_ >= options_.min_s; }

}  // namespace wedge::console
