// Keeps a run's kernel symbols current while the guest agent lives, so that traces can name
// vCPU instruction pointers after it died: the kernel's System.map, moved by the KASLR offset
// found in the first 60 KiB of the guest's /proc/kallsyms right after the agent's hello, and
// the module lines of /proc/kallsyms (filtered in the guest), fetched again whenever the
// agent's samples show another set of modules. GuestSession feeds it what it pumps; requests
// are sent and their answers taken as they come, never waited for, so nothing here delays
// hang detection.
//
//   SymbolFetcher f(encoder, send, clock, log);
//   f.use_system_map(fetch_system_map(image, cache_dir, progress));
//   f.on_hello(); f.on_sample(sample); if (f.on_file(file)) return;  // from the pump
//   f.symbols().lookup(rip);
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "harness/agent/commands.h"
#include "harness/agent/messages.h"
#include "harness/traces/kernel_symbols.h"
#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::run {

// The System.map of image's kernel: the image's own (a custom kernel's, found next to its
// bzImage), else Debian's from the cached -dbg package (see vm-images/debian_debug.h), else
// empty. Never downloads anything.
[[nodiscard]] std::filesystem::path find_system_map(const image::GuestImage& image,
                                                    const std::filesystem::path& cache_dir);

// Like find_system_map, but for a Debian kernel with no System.map cached yet, fetches the
// real one from its -dbg package first (once per kernel release; about 3 s and 283 MB of
// download here, 3.6 MB kept). Failing that it returns empty and says why through progress:
// symbols then come from the guest's kallsyms while the agent answers.
[[nodiscard]] std::filesystem::path fetch_system_map(const image::GuestImage& image,
                                                     const std::filesystem::path& cache_dir,
                                                     const image::ProgressFn& progress);

class SymbolFetcher {
 public:
  using Send = std::function<Status(const std::string& frame)>;
  using NextRequest = std::function<uint64_t()>;
  using Clock = std::function<double()>;
  // One events.jsonl line (a JSON object without the newline).
  using Log = std::function<void(const std::string& json_line)>;

  SymbolFetcher(agent::CommandEncoder& encoder, NextRequest next_request, Send send, Clock clock,
                Log log);

  // Loads the System.map at path (logs why not when it cannot); an empty path means none:
  // the core kernel is then named only from a full read of /proc/kallsyms at trace time.
  void use_system_map(const std::filesystem::path& path);

  void on_hello();
  void on_sample(const agent::Sample& sample);
  // True when the answer was to one of this fetcher's requests (it is then consumed).
  bool on_file(const agent::File& file);
  bool on_failed(const agent::Failed& failed);

  [[nodiscard]] const traces::KernelSymbols& symbols() const { return symbols_; }
  // A module symbol fetch is waiting for the agent.
  [[nodiscard]] bool fetching_modules() const { return modules_request_ != 0; }
  // Where the symbols came from, for registers.txt ("core kernel from ...; 465 module ...").
  [[nodiscard]] std::string describe() const;

 private:
  void request_offset();
  void request_modules(uint64_t offset);
  void finish_modules();
  void log(const std::string& kind, const nlohmann::json& fields);

  agent::CommandEncoder& encoder_;
  NextRequest next_request_;
  Send send_;
  Clock clock_;
  Log log_;
  traces::KernelSymbols symbols_;

  std::filesystem::path system_map_path_;
  std::unique_ptr<traces::SymbolTable> system_map_;  // until the offset is known
  std::string core_note_ = "no System.map";
  bool hello_ = false;
  uint64_t offset_request_ = 0;
  double offset_sent_s_ = 0;

  std::optional<std::string> fetched_modules_;  // module list of the last fetch
  std::string fetching_for_;                    // module list the running fetch is for
  uint64_t modules_request_ = 0;
  double modules_sent_s_ = 0;
  int module_pieces_ = 0;
  std::string module_lines_;
  std::string modules_note_ = "no module symbols";
  bool agent_filters_ = true;  // false once an agent answered a filtered read unfiltered
};

}  // namespace wedge::run
