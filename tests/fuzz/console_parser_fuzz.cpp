// libFuzzer target: the console parser, the offline analysis and the live detector (with its
// I/O error sites) on arbitrary console bytes, whole and split at an input-chosen point; every
// finding's strings must be valid UTF-8 and the JSON of the result must serialise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "harness/console/parser.h"
#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/io_error_site.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view log(reinterpret_cast<const char*>(data), size);
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  wedge::console::ConsoleScanner scanner;
  (void)scanner.feed(log.substr(0, split));
  (void)scanner.feed(log.substr(split));
  (void)scanner.finish();
  wedge::detect::Analysis a = wedge::detect::analyze_console_log(log);
  for (const auto& f : a.findings) (void)wedge::reports::finding_json(f).dump();
  (void)wedge::detect::parse_io_error_site(log);
  wedge::detect::Detector live({});
  live.arm(0);
  live.on_workload_file(std::string(log.substr(0, split)), size);
  for (const auto& e : wedge::console::parse_events(log)) live.on_console_event(e, 1);
  for (const auto& f : live.findings()) (void)wedge::reports::finding_json(f).dump();
  return 0;
}
