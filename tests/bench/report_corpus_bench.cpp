// Scores `wedge analyze` on a folder of kernel logs with known answers (syzkaller's report
// corpus format: TITLE/ALT/CORRUPTED headers, an empty line, the log): recall, false reports,
// kind agreement and blamed-frame agreement, crashes and timeouts. Prints numbers, never fails.
//
//   wedge_report_corpus_bench ../shared/corpora/syzkaller-linux/train [--wedge build/wedge] [-v]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Expected {
  std::vector<std::string> titles;  // TITLE and ALT lines
  bool corrupted = false;
  std::string log;
};

// Header lines up to the first empty line, then the log up to a "REPORT:" section.
Expected parse_case(std::string text) {
  std::erase(text, '\r');
  Expected e;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    for (const char* key : {"TITLE: ", "ALT: "}) {
      if (line.starts_with(key) && line.size() > std::string_view(key).size()) {
        e.titles.push_back(line.substr(std::string_view(key).size()));
      }
    }
    if (line == "CORRUPTED: Y") e.corrupted = true;
  }
  std::string log = pos < text.size() ? text.substr(pos) : "";
  if (size_t report = log.find("\n\nREPORT:\n"); report != std::string::npos) log.resize(report);
  e.log = std::move(log);
  return e;
}

// "KIND in FUNC" -> FUNC; "" without " in ".
std::string frame_of_title(const std::string& title) {
  size_t in = title.rfind(" in ");
  return in == std::string::npos ? "" : title.substr(in + 4);
}

// The README's hang classes; everything else is a crash or a warning.
bool is_hang_title(const std::string& title) {
  for (const char* p : {"INFO: task hung", "INFO: rcu detected stall", "BUG: soft lockup",
                        "INFO: task can't die", "BUG: workqueue lockup"}) {
    if (title.starts_with(p)) return true;
  }
  return title.find("hard LOCKUP") != std::string::npos ||
         title.find("hard lockup") != std::string::npos;
}

struct Score {
  int files = 0, with_report = 0, clean = 0, detected = 0, false_reports = 0;
  int kind_right = 0, frame_cases = 0, frame_right = 0, title_right = 0;
  int crashes = 0, timeouts = 0;
};

double percent(int a, int b) { return b == 0 ? 0 : 100.0 * a / b; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} CORPUS_DIR [--wedge PATH] [-v]\n", argv[0]);
    return 2;
  }
  fs::path corpus = argv[1];
  fs::path wedge = fs::path(argv[0]).parent_path() / "wedge";
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--wedge" && i + 1 < argc) wedge = argv[++i];
    if (a == "-v") verbose = true;
  }
  auto tmp = wedge::TempDir::create("wedge-corpus-bench");
  if (!tmp) {
    fmt::print(stderr, "{}\n", tmp.error().message());
    return 2;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  Score s;
  double slowest_s = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& file : files) {
    auto text = wedge::read_file(file);
    if (!text) continue;
    Expected want = parse_case(*text);
    fs::path log = tmp->path() / "console.log";
    if (!wedge::write_file_atomic(log, want.log)) continue;
    ++s.files;
    bool expects_report = !want.titles.empty();
    expects_report ? ++s.with_report : ++s.clean;
    auto t0 = std::chrono::steady_clock::now();
    auto out = wedge::run_command({wedge.string(), "analyze", "--json", log.string()}, 60s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    slowest_s = std::max(slowest_s, took);
    std::string name = file.filename().string();
    if (!out) {
      ++s.timeouts;
      fmt::print("{}: timeout ({})\n", name, out.error().message());
      continue;
    }
    if (out->status.signal != 0 || out->status.code > 1) {
      ++s.crashes;
      fmt::print("{}: wedge analyze {}\n", name, out->status.describe());
      continue;
    }
    auto json = nlohmann::json::parse(out->out, nullptr, false);
    if (json.is_discarded()) {
      ++s.crashes;
      fmt::print("{}: output is not JSON\n", name);
      continue;
    }
    std::string kind, title;
    if (!json["findings"].empty() && json["verdict"] != "pass") {
      // The finding the verdict names (reason), else the first one.
      const auto* chosen = &json["findings"][0];
      for (const auto& f : json["findings"]) {
        if (f["title"] == json["reason"]) chosen = &f;
      }
      kind = (*chosen)["kind"];
      title = (*chosen)["title"];
    }
    bool reported = !title.empty();
    if (!expects_report) {
      if (reported) {
        ++s.false_reports;
        fmt::print("{}: false report: {}\n", name, title);
      }
      continue;
    }
    if (reported) ++s.detected;
    bool want_hang = is_hang_title(want.titles.front());
    bool kind_ok = reported && (kind == "hang") == want_hang;
    s.kind_right += kind_ok;
    bool title_ok = std::find(want.titles.begin(), want.titles.end(), title) != want.titles.end();
    s.title_right += title_ok;
    std::string want_frame = frame_of_title(want.titles.front());
    bool frame_case = !want_frame.empty() && want_frame != "corrupted";
    bool frame_ok = false;
    if (frame_case) {
      ++s.frame_cases;
      for (const auto& t : want.titles)
        frame_ok |= reported && frame_of_title(t) == frame_of_title(title);
      s.frame_right += frame_ok;
    }
    if (verbose && (!reported || !kind_ok || (frame_case && !frame_ok))) {
      fmt::print("{}: want '{}' got '{}' ({})\n", name, want.titles.front(), title,
                 reported ? kind : "no report");
    }
  }
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("corpus {}: {} files, {} with a report, {} clean\n", corpus.string(), s.files,
             s.with_report, s.clean);
  fmt::print("recall           {:5.1f}%  ({}/{})\n", percent(s.detected, s.with_report), s.detected,
             s.with_report);
  fmt::print("false reports    {:5d}   (of {} clean logs)\n", s.false_reports, s.clean);
  fmt::print("kind agreement   {:5.1f}%  ({}/{} logs with a report)\n",
             percent(s.kind_right, s.with_report), s.kind_right, s.with_report);
  fmt::print("blamed frame     {:5.1f}%  ({}/{} titles naming a frame)\n",
             percent(s.frame_right, s.frame_cases), s.frame_right, s.frame_cases);
  fmt::print("exact title      {:5.1f}%  ({}/{})\n", percent(s.title_right, s.with_report),
             s.title_right, s.with_report);
  fmt::print("crashes {}  timeouts {}  slowest {:.2f} s  total {:.1f} s  max RSS {} MiB\n",
             s.crashes, s.timeouts, slowest_s, total_s, usage.ru_maxrss / 1024);
  return 0;
}
