// Implementation of symbol_fetcher.h.
#include "harness/run/symbol_fetcher.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "harness/agent/sample.h"
#include "harness/util/files.h"
#include "vm-images/debian_debug.h"
#include "vm-images/image_cache.h"

namespace wedge::run {

namespace fs = std::filesystem;

namespace {
constexpr const char* kKallsyms = "/proc/kallsyms";
// Module lines of kallsyms end in "\t[name]"; core lines have no tab.
constexpr std::string_view kModuleLine = "\t[";
// An answer later than this will not come: the agent is wedged. Allow a new fetch.
constexpr double kGiveUpS = 60;
// The guest decides how long its module list is: more than this (a real one is a few hundred
// KiB) is not kept, so a hostile guest cannot make wedge's memory grow with it.
constexpr size_t kMaxModuleLines = 16 << 20;
}  // namespace

fs::path find_system_map(const image::GuestImage& image, const fs::path& cache_dir) {
  if (!image.system_map.empty()) return image.system_map;
  image::ImageRequest request;
  request.cache_dir = cache_dir;
  auto root = image::cache_root(request);
  if (!root) return {};
  auto debug = image::cached_debian_debug_files(image.kernel_release, *root / "debug", {});
  return debug ? debug->system_map : fs::path();
}

fs::path fetch_system_map(const image::GuestImage& image, const fs::path& cache_dir,
                          const image::ProgressFn& progress) {
  if (fs::path found = find_system_map(image, cache_dir); !found.empty()) return found;
  image::ImageRequest request;
  request.cache_dir = cache_dir;
  auto root = image::cache_root(request);
  if (!root) return {};
  auto debug = image::fetch_debian_debug_files(image.kernel_release, *root / "debug", {}, progress);
  if (!debug) {
    if (progress) {
      progress(
          fmt::format("no System.map for {} ({}): RIPs are symbolized only while the "
                      "agent can read /proc/kallsyms",
                      image.kernel_release, debug.error().message()));
    }
    return {};
  }
  return debug->system_map;
}

SymbolFetcher::SymbolFetcher(agent::CommandEncoder& encoder, NextRequest next_request, Send send,
                             Clock clock, Log log)
    : encoder_(encoder),
      next_request_(std::move(next_request)),
      send_(std::move(send)),
      clock_(std::move(clock)),
      log_(std::move(log)) {}

void SymbolFetcher::log(const std::string& kind, const nlohmann::json& fields) {
  if (!log_) return;
  nlohmann::json line = {{"t_s", clock_()}, {"source", "symbols"}, {"kind", kind}};
  line.update(fields);
  log_(line.dump());
}

void SymbolFetcher::use_system_map(const fs::path& path) {
  if (path.empty()) {
    core_note_ = "no System.map for this kernel";
    return;
  }
  auto text = read_file(path);
  auto table =
      text ? traces::SymbolTable::from_kallsyms(*text) : Result<traces::SymbolTable>(text.error());
  if (!table) {
    core_note_ = fmt::format("System.map {} unusable: {}", path.string(), table.error().message());
    log("system_map_error", nlohmann::json({{"error", core_note_}}));
    return;
  }
  system_map_path_ = path;
  system_map_ = std::make_unique<traces::SymbolTable>(std::move(*table));
  core_note_ = fmt::format("System.map {} (KASLR offset not known yet)", path.string());
  log("system_map",
      nlohmann::json({{"path", path.string()}, {"text_symbols", system_map_->size()}}));
  if (hello_) request_offset();
}

void SymbolFetcher::on_hello() {
  if (hello_) return;
  hello_ = true;
  if (system_map_) request_offset();
}

void SymbolFetcher::request_offset() {
  if (offset_request_ != 0) return;
  uint64_t request = next_request_();
  auto frame = encoder_.encode_read_file(request, kKallsyms, 0);
  if (!frame || !send_(*frame)) return;
  offset_request_ = request;
  offset_sent_s_ = clock_();
}

void SymbolFetcher::on_sample(const agent::Sample& sample) {
  if (!hello_ || !agent_filters_) return;
  if (modules_request_ != 0) {
    if (clock_() - modules_sent_s_ < kGiveUpS) return;
    modules_request_ = 0;  // its answer, should it still come, is ignored
  }
  std::string modules = fmt::format("{}", fmt::join(agent::module_names(sample.modules), " "));
  if (fetched_modules_ == modules) return;
  fetching_for_ = modules;
  module_lines_.clear();
  module_pieces_ = 0;
  modules_sent_s_ = clock_();
  request_modules(0);
}

void SymbolFetcher::request_modules(uint64_t offset) {
  uint64_t request = next_request_();
  auto frame = encoder_.encode_read_lines(request, kKallsyms, kModuleLine, offset);
  if (!frame || !send_(*frame)) {
    modules_request_ = 0;
    return;
  }
  modules_request_ = request;
}

bool SymbolFetcher::on_file(const agent::File& file) {
  if (file.request == 0) return false;
  if (file.request == offset_request_ && system_map_) {
    offset_request_ = 0;
    double took = clock_() - offset_sent_s_;
    auto offset = traces::kaslr_offset(*system_map_, file.data);
    if (!offset) {
      core_note_ = fmt::format("System.map {} unusable: {}", system_map_path_.string(),
                               offset.error().message());
      log("kaslr_offset_error", nlohmann::json({{"error", core_note_}, {"took_s", took}}));
    } else {
      symbols_.set_core(std::move(*system_map_), *offset);
      core_note_ = fmt::format("core kernel from System.map {} + KASLR offset {:#x}",
                               system_map_path_.string(), *offset);
      log("kaslr_offset", nlohmann::json({{"offset", fmt::format("{:#x}", *offset)},
                                          {"bytes", file.data.size()},
                                          {"took_s", took}}));
    }
    system_map_.reset();
    return true;
  }
  if (file.request != modules_request_) return false;
  if (file.filter.empty()) {
    // An agent that predates filtered reads sent the plain start of the file.
    agent_filters_ = false;
    modules_request_ = 0;
    modules_note_ = "no module symbols (the agent cannot filter /proc/kallsyms)";
    return true;
  }
  if (module_lines_.size() + file.data.size() > kMaxModuleLines) {
    modules_request_ = 0;
    fetched_modules_ = fetching_for_;  // not again for this module list
    module_lines_.clear();
    modules_note_ =
        fmt::format("no module symbols: the guest's list exceeded {} MiB", kMaxModuleLines >> 20);
    log("module_symbols_error", nlohmann::json({{"error", modules_note_}}));
    return true;
  }
  module_lines_ += file.data;
  ++module_pieces_;
  if (file.next_offset > file.offset) {
    request_modules(file.next_offset);
  } else {
    finish_modules();
  }
  return true;
}

void SymbolFetcher::finish_modules() {
  modules_request_ = 0;
  fetched_modules_ = fetching_for_;
  double took = clock_() - modules_sent_s_;
  traces::SymbolTable table = traces::module_symbols_from_kallsyms(module_lines_);
  size_t count = table.size();
  symbols_.set_modules(std::move(table));
  modules_note_ = fmt::format("{} module text symbols from /proc/kallsyms at {:.1f} s ({})", count,
                              clock_(), fetching_for_.empty() ? "no modules" : fetching_for_);
  log("module_symbols", nlohmann::json({{"modules", fetching_for_},
                                        {"text_symbols", count},
                                        {"bytes", module_lines_.size()},
                                        {"pieces", module_pieces_},
                                        {"took_s", took}}));
  module_lines_.clear();
}

bool SymbolFetcher::on_failed(const agent::Failed& failed) {
  if (failed.request == 0) return false;
  if (failed.request == offset_request_ && system_map_) {
    offset_request_ = 0;
    core_note_ = fmt::format("System.map {}: reading {} failed: {}", system_map_path_.string(),
                             kKallsyms, failed.text);
    log("kaslr_offset_error", nlohmann::json({{"error", core_note_}}));
    system_map_.reset();
    return true;
  }
  if (failed.request != modules_request_) return false;
  // Not again for this set of modules (the file worker may be busy: the next change retries).
  modules_request_ = 0;
  fetched_modules_ = fetching_for_;
  log("module_symbols_error", nlohmann::json({{"error", failed.text}}));
  return true;
}

std::string SymbolFetcher::describe() const { return core_note_ + "; " + modules_note_; }

}  // namespace wedge::run
