// Notices a guest flooding its console: a stretch of at least min_s seconds in which every
// second brought at least bytes_per_s bytes. A flood is not a verdict (a workload may print
// on purpose), but the report records it, because it costs disk (virtlogd rotates the log at
// its max_size) and can hide the messages that matter.
//
//   console::FloodMeter meter;              // 64 KiB/s for 5 s
//   meter.add(now_s, chunk.size());         // for each console chunk read
//   for (auto& f : meter.floods(now_s)) ... // {start_s, end_s, bytes}
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wedge::console {

struct Flood {
  double start_s = 0;
  double end_s = 0;  // the end of the last second counted so far for a flood still going
  uint64_t bytes = 0;
  bool operator==(const Flood&) const = default;
};

class FloodMeter {
 public:
  struct Options {
    // A TCG guest's serial console carries a few hundred KiB/s at most (24 MB took 60 s here,
    // 115 s with the host loaded), so a higher bar let a guest flood without being counted.
    // Kernel chatter stays far below 64 KiB/s; a sysrq-t dump passes it for less than min_s.
    uint64_t bytes_per_s = 64 * 1024;
    int min_s = 5;
  };
  FloodMeter() = default;
  explicit FloodMeter(Options options) : options_(options) {}

  // bytes of console output arrived at now_s (non-decreasing).
  void add(double now_s, size_t bytes);

  // Floods so far; a stretch still going counts once it is min_s long.
  [[nodiscard]] std::vector<Flood> floods() const;
  [[nodiscard]] uint64_t total_bytes() const { return total_; }
  // True from the moment the current stretch of busy seconds reaches min_s.
  [[nodiscard]] bool flooding() const;

 private:
  void close_second(int64_t second);

  Options options_;
  uint64_t total_ = 0;
  int64_t second_ = INT64_MIN;  // the second being filled
  uint64_t second_bytes_ = 0;
  int64_t run_start_ = 0;  // first second of the current stretch of busy seconds
  int run_len_ = 0;
  uint64_t run_bytes_ = 0;
  std::vector<Flood> closed_;
};

}  // namespace wedge::console
