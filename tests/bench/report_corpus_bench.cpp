// Scores `wedge analyze` on a folder of kernel logs with known answers (syzkaller's report
// corpus format: TITLE/ALT/CORRUPTED headers, an empty line, the log) by k-fold
// cross-validation: files go to folds by a hash of their name, and each fold is scored as the
// held-out part. Prints recall, false reports, blamed function (with breakdowns by log shape
// and report class) per fold and as mean (min-max), then the whole folder. Never fails.
//
//   wedge_report_corpus_bench ../shared/corpora/syzkaller-linux/train [--wedge build/wedge]
//                             [--folds 5] [-v]
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
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

// How a log prints its stacks: with printk caller ids ("[  T1234]", "[    C0]") or not, and
// with plain frames ("func+0x1/0x2") or old address-bracketed ones ("[<ffffffff81..>] func").
struct LogShape {
  bool caller_ids = false;
  bool old_frames = false;
};

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

LogShape shape_of(std::string_view log) {
  LogShape shape;
  size_t pos = 0;
  while (pos < log.size() && !(shape.caller_ids && shape.old_frames)) {
    size_t nl = log.find('\n', pos);
    if (nl == std::string_view::npos) nl = log.size();
    std::string_view line = log.substr(pos, nl - pos);
    pos = nl + 1;
    // "[  584.319520][   T31] ": a timestamp bracket directly followed by a caller bracket.
    if (size_t close = line.find("]["); close != std::string_view::npos && close < 20) {
      size_t i = close + 2;
      while (i < line.size() && line[i] == ' ') ++i;
      if (i + 1 < line.size() && (line[i] == 'T' || line[i] == 'C') &&
          std::isdigit(static_cast<unsigned char>(line[i + 1]))) {
        shape.caller_ids = true;
      }
    }
    // "[<ffffffff81234567>]"
    if (size_t open = line.find("[<"); open != std::string_view::npos) {
      size_t i = open + 2;
      while (i < line.size() && is_hex_digit(line[i])) ++i;
      if (i > open + 2 && line.substr(i).starts_with(">]")) shape.old_frames = true;
    }
  }
  return shape;
}

// FNV-1a of the file name: the same fold for the same file on every machine and run.
int fold_of(std::string_view name, int folds) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<uint64_t>(folds));
}

// One log's result.
struct Outcome {
  int fold = 0;
  bool expects_report = false;
  bool reported = false;
  bool kind_ok = false;
  bool title_ok = false;
  bool frame_case = false;  // the expected title names a function
  bool frame_ok = false;
  bool hang = false;  // the expected title is a hang
  LogShape shape;
};

struct Ratio {
  int hit = 0, of = 0;
  void add(bool ok) {
    ++of;
    hit += ok;
  }
  [[nodiscard]] double percent() const { return of == 0 ? 0 : 100.0 * hit / of; }
};

// The measures the table uses, over one set of logs.
struct Score {
  int clean = 0, false_reports = 0;
  Ratio recall, kind, title, blamed;
  std::array<Ratio, 4> blamed_by_shape;  // [caller ids][old frames]
  Ratio blamed_hangs, blamed_crashes;
};

constexpr std::array<const char*, 4> kShapeNames = {
    "blamed, no caller ids, plain frames", "blamed, no caller ids, old [<addr>] frames",
    "blamed, caller ids, plain frames", "blamed, caller ids, old [<addr>] frames"};

void add(Score* s, const Outcome& o) {
  if (!o.expects_report) {
    ++s->clean;
    s->false_reports += o.reported;
    return;
  }
  s->recall.add(o.reported);
  s->kind.add(o.kind_ok);
  s->title.add(o.title_ok);
  if (!o.frame_case) return;
  s->blamed.add(o.frame_ok);
  s->blamed_by_shape[static_cast<size_t>(o.shape.caller_ids * 2 + o.shape.old_frames)].add(
      o.frame_ok);
  (o.hang ? s->blamed_hangs : s->blamed_crashes).add(o.frame_ok);
}

// Each measure as a row: per fold, mean (min-max) over folds, and the whole folder.
struct Row {
  std::string name;
  std::function<Ratio(const Score&)> pick;
};

void print_cross_validation(const std::vector<Score>& folds, const Score& all) {
  std::vector<Row> rows = {
      {"recall", [](const Score& s) { return s.recall; }},
      {"kind agreement", [](const Score& s) { return s.kind; }},
      {"blamed function", [](const Score& s) { return s.blamed; }},
      {"exact title", [](const Score& s) { return s.title; }},
  };
  for (size_t i = 0; i < kShapeNames.size(); ++i) {
    rows.push_back({kShapeNames[i], [i](const Score& s) { return s.blamed_by_shape[i]; }});
  }
  rows.push_back({"blamed, hangs", [](const Score& s) { return s.blamed_hangs; }});
  rows.push_back({"blamed, crashes and warnings", [](const Score& s) { return s.blamed_crashes; }});
  fmt::print("{:<44}", "measure (held-out fold)");
  for (size_t f = 0; f < folds.size(); ++f) fmt::print(" {:>7}", fmt::format("fold {}", f));
  fmt::print("  {:>21}  {}\n", "mean (min-max)", "whole folder");
  for (const auto& row : rows) {
    fmt::print("{:<44}", row.name);
    double sum = 0, lo = 100, hi = 0;
    int counted = 0;
    for (const auto& s : folds) {
      Ratio r = row.pick(s);
      fmt::print(" {:>6.1f}%", r.percent());
      if (r.of == 0) continue;
      sum += r.percent();
      lo = std::min(lo, r.percent());
      hi = std::max(hi, r.percent());
      ++counted;
    }
    Ratio whole = row.pick(all);
    fmt::print("  {:>5.1f}% ({:4.1f}-{:5.1f})  {:5.1f}% ({}/{})\n", counted ? sum / counted : 0.0,
               counted ? lo : 0.0, hi, whole.percent(), whole.hit, whole.of);
  }
  fmt::print("{:<44}", "false reports");
  for (const auto& s : folds) fmt::print(" {:>7}", fmt::format("{}/{}", s.false_reports, s.clean));
  fmt::print("  {:>21}  {}/{}\n", "", all.false_reports, all.clean);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} CORPUS_DIR [--wedge PATH] [--folds K] [-v]\n", argv[0]);
    return 2;
  }
  fs::path corpus = argv[1];
  fs::path wedge = fs::path(argv[0]).parent_path() / "wedge";
  bool verbose = false;
  int folds = 5;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--wedge" && i + 1 < argc) wedge = argv[++i];
    if (a == "--folds" && i + 1 < argc) folds = std::max(2, std::atoi(argv[++i]));
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
  std::vector<Outcome> outcomes;
  int crashes = 0, timeouts = 0;
  double slowest_s = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& file : files) {
    auto text = wedge::read_file(file);
    if (!text) continue;
    Expected want = parse_case(*text);
    fs::path log = tmp->path() / "console.log";
    if (!wedge::write_file_atomic(log, want.log)) continue;
    std::string name = file.filename().string();
    Outcome o;
    o.fold = fold_of(name, folds);
    o.expects_report = !want.titles.empty();
    o.shape = shape_of(want.log);
    auto t0 = std::chrono::steady_clock::now();
    auto out = wedge::run_command({wedge.string(), "analyze", "--json", log.string()}, 60s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    slowest_s = std::max(slowest_s, took);
    std::string kind, title;
    if (!out) {
      ++timeouts;
      fmt::print("{}: timeout ({})\n", name, out.error().message());
    } else if (out->status.signal != 0 || out->status.code > 1) {
      ++crashes;
      fmt::print("{}: wedge analyze {}\n", name, out->status.describe());
    } else if (auto json = nlohmann::json::parse(out->out, nullptr, false); json.is_discarded()) {
      ++crashes;
      fmt::print("{}: output is not JSON\n", name);
    } else if (!json["findings"].empty() && json["verdict"] != "pass") {
      // The finding the verdict names (reason), else the first one.
      const auto* chosen = &json["findings"][0];
      for (const auto& f : json["findings"]) {
        if (f["title"] == json["reason"]) chosen = &f;
      }
      kind = (*chosen)["kind"];
      title = (*chosen)["title"];
    }
    o.reported = !title.empty();
    if (!o.expects_report) {
      if (o.reported) fmt::print("{}: false report: {}\n", name, title);
      outcomes.push_back(o);
      continue;
    }
    o.hang = is_hang_title(want.titles.front());
    o.kind_ok = o.reported && (kind == "hang") == o.hang;
    o.title_ok = std::find(want.titles.begin(), want.titles.end(), title) != want.titles.end();
    std::string want_frame = frame_of_title(want.titles.front());
    o.frame_case = !want_frame.empty() && want_frame != "corrupted";
    if (o.frame_case) {
      for (const auto& t : want.titles)
        o.frame_ok |= o.reported && frame_of_title(t) == frame_of_title(title);
    }
    if (verbose && (!o.reported || !o.kind_ok || (o.frame_case && !o.frame_ok))) {
      fmt::print("{}: want '{}' got '{}' ({}{}{})\n", name, want.titles.front(), title,
                 o.reported ? kind : "no report", o.shape.caller_ids ? ", caller ids" : "",
                 o.shape.old_frames ? ", old frames" : "");
    }
    outcomes.push_back(o);
  }
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<Score> by_fold(static_cast<size_t>(folds));
  Score all;
  for (const auto& o : outcomes) {
    add(&by_fold[static_cast<size_t>(o.fold)], o);
    add(&all, o);
  }
  fmt::print("corpus {}: {} files, {} with a report, {} clean\n", corpus.string(), outcomes.size(),
             all.recall.of, all.clean);
  fmt::print(
      "{}-fold cross-validation (fold = FNV-1a of the file name mod {}). The analyzer learns "
      "nothing from data: its rules are fixed, so each fold scores them on logs held out from "
      "the others.\n",
      folds, folds);
  print_cross_validation(by_fold, all);
  fmt::print("crashes {}  timeouts {}  slowest {:.2f} s  total {:.1f} s  max RSS {} MiB\n", crashes,
             timeouts, slowest_s, total_s, usage.ru_maxrss / 1024);
  return 0;
}
