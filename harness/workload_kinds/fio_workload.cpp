// kind = "fio": Debian's fio (from the fio package) runs the user's job file on the storage
// ({device} and {mount} in args), its status line as progress, its JSON result in the report.
#include <algorithm>
#include <cmath>

#include "harness/util/text.h"
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

// fio's programs come from the Debian package, at its packaged path.
constexpr const char* kFioPath = "/usr/bin/fio";
constexpr const char* kResultPath = "/tmp/wedge-fio.json";

Status validate(const config::Scenario& s) {
  if (s.workload.path("job").empty()) {
    return make_error("{}: [workload] kind = \"fio\" needs job = \"path/to/job.fio\"",
                      where(s, "kind"));
  }
  if (s.storage.use == config::StorageUse::kSwap) {
    return make_error(
        "{}: [workload] kind = \"fio\" runs on the device or the filesystem: [storage] use = "
        "\"device\" or \"fs\" (got \"swap\")",
        where(s, "kind"));
  }
  return ok_status();
}

storage::ImageNeeds image_needs(const config::Scenario&) {
  storage::ImageNeeds needs;
  needs.packages = {"fio"};
  return needs;
}

std::vector<std::filesystem::path> host_files(const config::Scenario& s) {
  return {s.workload.path("job")};
}

void replace_all(std::string& s, std::string_view what, const std::string& with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  // JSON to a file for the report; the status line on stdout every half second with a newline
  // at least every second, so progress arrives as lines (fio ends them with \r otherwise).
  std::vector<std::string> out = {
      kFioPath,       "--output-format=json", std::string("--output=") + kResultPath,
      "--eta=always", "--eta-interval=500ms", "--eta-newline=1s"};
  for (std::string a : s.workload.strings("args")) {
    if (a.find("{device}") != std::string::npos && in_use.device.empty()) {
      return make_error("{}: [workload] args use {{device}} but the storage has no block device",
                        where(s, "args"));
    }
    if (a.find("{mount}") != std::string::npos && in_use.mount_point.empty()) {
      return make_error("{}: [workload] args use {{mount}} but nothing is mounted (use = \"fs\")",
                        where(s, "args"));
    }
    replace_all(a, "{device}", in_use.device);
    replace_all(a, "{mount}", in_use.mount_point);
    out.push_back(std::move(a));
  }
  out.push_back("/extra/" + s.workload.path("job").filename().string());
  return out;
}

// fio's status line ("Jobs: 1 (f=1): [w(1)][42.9%][w=10.0MiB/s][w=2561 IOPS][eta 00m:04s]")
// as done/1000: fio shows the share of the job done, not its bytes.
std::optional<agent::Measure> parse_fio_status_line(std::string_view line) {
  if (line.size() > 4096) return std::nullopt;
  // Several \r-separated updates may share a line: the last one with a percentage counts.
  std::optional<agent::Measure> best;
  while (!line.empty()) {
    auto cr = line.find('\r');
    std::string_view part = line.substr(0, cr);
    line.remove_prefix(cr == std::string_view::npos ? line.size() : cr + 1);
    if (!part.starts_with("Jobs: ")) continue;
    // "[42.9%]": the first bracket that holds a number and a percent sign.
    for (size_t open = part.find('['); open != std::string_view::npos;
         open = part.find('[', open + 1)) {
      size_t close = part.find(']', open);
      if (close == std::string_view::npos) break;
      std::string_view inside = part.substr(open + 1, close - open - 1);
      if (inside.size() < 2 || inside.size() > 6 || inside.back() != '%') continue;
      std::string_view number = inside.substr(0, inside.size() - 1);
      uint64_t whole = 0, tenths = 0;
      size_t dot = number.find('.');
      std::string_view int_part = number.substr(0, dot);
      std::string_view frac = dot == std::string_view::npos ? "" : number.substr(dot + 1);
      auto digits = [](std::string_view d) {
        return !d.empty() &&
               std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
      };
      if (!digits(int_part) || (dot != std::string_view::npos && !digits(frac))) continue;
      for (char c : int_part) whole = whole * 10 + static_cast<uint64_t>(c - '0');
      if (!frac.empty()) tenths = static_cast<uint64_t>(frac[0] - '0');
      uint64_t permille = whole * 10 + tenths;
      if (permille > 1000) continue;
      agent::Measure m{permille, 1000, "permille", ""};
      // The bracket after it is the current rate ("w=10.0MiB/s"): the phase people read.
      size_t rate_open = close + 1;
      if (rate_open < part.size() && part[rate_open] == '[') {
        size_t rate_close = part.find(']', rate_open);
        if (rate_close != std::string_view::npos && rate_close - rate_open <= 48) {
          m.phase = printable(part.substr(rate_open + 1, rate_close - rate_open - 1));
        }
      }
      best = std::move(m);
      break;
    }
  }
  return best;
}

// fio's JSON result summarised (per job and in total: bytes, bandwidth, IOPS), bounded.
nlohmann::json summarize_fio_json(std::string_view text) {
  using nlohmann::json;
  if (text.size() > kResultFileMaxBytes) text = text.substr(0, kResultFileMaxBytes);
  // fio may print notes before the JSON object.
  size_t start = text.find('{');
  if (start == std::string_view::npos) return {{"error", "no JSON object in fio's output"}};
  text.remove_prefix(start);
  // Deeper than fio ever nests is hostile: drop it rather than build it.
  json::parser_callback_t limit = [](int depth, json::parse_event_t event, json&) {
    return !(
        (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth > 16);
  };
  json doc = json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return {{"error", "fio's output is not valid JSON"}};

  auto number = [](const json& obj, const char* key) -> double {
    if (!obj.is_object()) return 0;
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number()) return 0;
    double v = it->get<double>();
    return std::isfinite(v) && v >= 0 ? v : 0;
  };
  auto count = [&](const json& obj, const char* key) -> uint64_t {
    if (!obj.is_object()) return 0;
    auto it = obj.find(key);
    if (it == obj.end()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_number_integer()) return it->get<int64_t>() > 0 ? it->get<uint64_t>() : 0;
    return 0;
  };
  auto text_of = [](const json& obj, const char* key) -> std::string {
    if (!obj.is_object()) return "";
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return "";
    std::string s = it->get<std::string>();
    if (s.size() > 128) s.resize(128);
    return printable(s);
  };

  constexpr size_t kMaxJobs = 64;
  json out = {{"fio_version", text_of(doc, "fio version")}};
  json jobs = json::array();
  uint64_t totals[3] = {0, 0, 0};
  const char* dirs[3] = {"read", "write", "trim"};
  size_t job_count = 0;
  auto it = doc.find("jobs");
  if (it != doc.end() && it->is_array()) {
    for (const json& job : *it) {
      if (!job.is_object()) continue;
      ++job_count;
      json j = {{"name", text_of(job, "jobname")},
                {"error", count(job, "error")},
                {"elapsed_s", count(job, "elapsed")}};
      for (int d = 0; d < 3; ++d) {
        auto dir = job.find(dirs[d]);
        if (dir == job.end() || !dir->is_object()) continue;
        uint64_t bytes = count(*dir, "io_bytes");
        totals[d] += bytes;
        j[dirs[d]] = {{"io_bytes", bytes},
                      {"bw_bytes", count(*dir, "bw_bytes")},
                      {"iops", number(*dir, "iops")},
                      {"total_ios", count(*dir, "total_ios")},
                      {"runtime_ms", count(*dir, "runtime")}};
      }
      if (jobs.size() < kMaxJobs) jobs.push_back(std::move(j));
    }
  }
  out["jobs"] = std::move(jobs);
  out["job_count"] = job_count;
  out["read_bytes"] = totals[0];
  out["write_bytes"] = totals[1];
  out["trim_bytes"] = totals[2];
  return out;
}

}  // namespace

const WorkloadEntry& fio_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kFio,
                                   .validate = validate,
                                   .image_needs = image_needs,
                                   .argv = argv,
                                   .parse_progress = parse_fio_status_line,
                                   .host_files = host_files,
                                   .result_file = kResultPath,
                                   .parse_result = summarize_fio_json};
  return entry;
}

}  // namespace wedge::workloads
