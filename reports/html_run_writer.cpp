// report.html for one run: verdict banner, timeline (faults, stalls, detections), SVG plots
// from samples.jsonl and progress.jsonl, findings with stack groups and console excerpts, links to
// artifacts.
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "harness/util/files.h"
#include "reports/html.h"
#include "reports/registry.h"

namespace wedge::reports {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Which file a series reads: samples.jsonl's "sample" objects, or progress.jsonl records.
enum class Source { kSample, kProgress };

// One plotted measure: how to get it from a record (nullopt: the record lacks it). Series
// with the same `group` are named once in the "Not sampled" note; a null unit is the
// workload's own (the last record's workload.unit).
struct Series {
  const char* title;
  const char* unit;
  Source source;
  const char* group;
  std::optional<double> (*value)(const json& record);
};

std::optional<double> field(const json& s, const char* key, double scale = 1) {
  if (!s.is_object() || !s.contains(key) || !s.at(key).is_number()) return std::nullopt;
  return s.at(key).get<double>() * scale;
}

std::optional<double> nested(const json& r, const char* object, const char* key, double scale = 1) {
  if (!r.is_object() || !r.contains(object)) return std::nullopt;
  return field(r.at(object), key, scale);
}

constexpr double kMiB = 1.0 / (1 << 20);
constexpr double kSectorsToMiB = 512.0 / (1 << 20);
constexpr const char* kCgroup = "the workload cgroup (memory.current, memory.events)";
constexpr const char* kDevice = "the block device (inflight, stat)";

const Series kSeries[] = {
    {"MemFree", "MiB", Source::kSample, "MemFree",
     [](const json& s) { return field(s, "mem_free_kb", 1.0 / 1024); }},
    {"Dirty", "MiB", Source::kSample, "Dirty",
     [](const json& s) { return field(s, "dirty_kb", 1.0 / 1024); }},
    {"Writeback", "MiB", Source::kSample, "Writeback",
     [](const json& s) { return field(s, "writeback_kb", 1.0 / 1024); }},
    {"Swap used", "MiB", Source::kSample, "swap",
     [](const json& s) -> std::optional<double> {
       auto total = field(s, "swap_total_kb"), free = field(s, "swap_free_kb");
       if (!total || !free) return std::nullopt;
       return (*total - *free) / 1024;
     }},
    {"PSI memory some avg10", "%", Source::kSample, "PSI",
     [](const json& s) { return field(s, "psi_memory_some_avg10"); }},
    {"PSI io some avg10", "%", Source::kSample, "PSI",
     [](const json& s) { return field(s, "psi_io_some_avg10"); }},
    {"cgroup memory.current", "MiB", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_memory_current_bytes", kMiB); }},
    {"cgroup memory.swap.current", "MiB", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_swap_current_bytes", kMiB); }},
    {"cgroup memory.events low", "events", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_events_low"); }},
    {"cgroup memory.events high", "events", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_events_high"); }},
    {"cgroup memory.events max", "events", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_events_max"); }},
    {"cgroup memory.events oom", "events", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_events_oom"); }},
    {"cgroup memory.events oom_kill", "events", Source::kSample, kCgroup,
     [](const json& s) { return field(s, "cgroup_events_oom_kill"); }},
    {"Device reads in flight", "requests", Source::kSample, kDevice,
     [](const json& s) { return field(s, "block_inflight_reads"); }},
    {"Device writes in flight", "requests", Source::kSample, kDevice,
     [](const json& s) { return field(s, "block_inflight_writes"); }},
    {"Device written", "MiB", Source::kSample, kDevice,
     [](const json& s) { return field(s, "block_sectors_written", kSectorsToMiB); }},
    {"Device read", "MiB", Source::kSample, kDevice,
     [](const json& s) { return field(s, "block_sectors_read", kSectorsToMiB); }},
    {"Workload progress", nullptr, Source::kProgress, "workload progress",
     [](const json& r) { return nested(r, "workload", "done"); }},
    {"Bytes through the server from the guest", "MiB", Source::kProgress,
     "bytes through the server",
     [](const json& r) { return nested(r, "server", "bytes_from_guest", kMiB); }},
    {"Bytes through the server to the guest", "MiB", Source::kProgress, "bytes through the server",
     [](const json& r) { return nested(r, "server", "bytes_to_guest", kMiB); }},
};

// The records of a JSON-lines file with a numeric t_s: the `inner` object of each
// (samples.jsonl's "sample"), or the whole line when inner is null. Bad lines are skipped.
std::vector<std::pair<double, json>> read_records(const fs::path& path, const char* inner) {
  std::vector<std::pair<double, json>> out;
  auto text = read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("t_s") || !j.at("t_s").is_number())
      continue;
    if (inner && (!j.contains(inner) || !j.at(inner).is_object())) continue;
    double t = j.at("t_s").get<double>();
    out.emplace_back(t, inner ? j.at(inner) : j);
  }
  return out;
}

// The workload's unit in its last progress record ("MiB", "files", ...).
std::string workload_unit(const std::vector<std::pair<double, json>>& progress) {
  for (auto it = progress.rbegin(); it != progress.rend(); ++it) {
    const json& r = it->second;
    if (r.contains("workload") && r.at("workload").is_object() &&
        r.at("workload").contains("unit") && r.at("workload").at("unit").is_string()) {
      return r.at("workload").at("unit").get<std::string>();
    }
  }
  return "";
}

std::vector<html::Mark> marks_of(const RunReport& r) {
  std::vector<html::Mark> marks;
  for (const auto& f : r.faults) {
    marks.push_back({f.start_s, f.kind + " starts", "fault"});
    if (f.stop_s) marks.push_back({*f.stop_s, f.kind + " stops", "fault"});
  }
  for (const auto& f : r.findings) {
    if (f.detected_s) marks.push_back({*f.detected_s, f.kind + " detected", "detect"});
  }
  return marks;
}

std::string timeline(const RunReport& r, double x_max) {
  constexpr double kLeft = 10, kWidth = 900;
  auto sx = [&](double x) { return kLeft + x / x_max * kWidth; };
  std::string out = fmt::format(
      "<svg class=\"timeline\" width=\"920\" height=\"70\" xmlns=\"http://www.w3.org/2000/svg\">"
      "<line x1=\"{0}\" y1=\"50\" x2=\"{1}\" y2=\"50\" stroke=\"#999\"/>"
      "<text x=\"{1}\" y=\"65\" font-size=\"10\" text-anchor=\"end\">{2:.0f} s</text>",
      kLeft, kLeft + kWidth, x_max);
  for (const auto& f : r.faults) {
    double stop = f.stop_s.value_or(x_max);
    out += fmt::format(
        "<rect class=\"fault\" data-kind=\"{0}\" x=\"{1:.1f}\" y=\"10\" width=\"{2:.1f}\" "
        "height=\"30\"><title>fault {0}: {3:.1f}-{4:.1f} s</title></rect>",
        html::escape(f.kind), sx(f.start_s), std::max(2.0, sx(stop) - sx(f.start_s)), f.start_s,
        stop);
  }
  for (const auto& s : r.stalls) {
    out += fmt::format(
        "<rect class=\"stall\" x=\"{:.1f}\" y=\"40\" width=\"{:.1f}\" height=\"8\">"
        "<title>stall {:.1f} s</title></rect>",
        sx(s.start_s), std::max(2.0, s.duration_s / x_max * kWidth), s.duration_s);
  }
  for (const auto& f : r.findings) {
    if (f.onset_s) {
      out += fmt::format(
          "<line class=\"fault\" x1=\"{0:.1f}\" y1=\"5\" x2=\"{0:.1f}\" y2=\"50\">"
          "<title>{1} onset {2:.1f} s</title></line>",
          sx(*f.onset_s), html::escape(f.kind), *f.onset_s);
    }
    if (f.detected_s) {
      out += fmt::format(
          "<line class=\"detect\" data-kind=\"{1}\" x1=\"{0:.1f}\" y1=\"5\" "
          "x2=\"{0:.1f}\" y2=\"50\"><title>{1} detected {2:.1f} s</title></line>",
          sx(*f.detected_s), html::escape(f.kind), *f.detected_s);
    }
  }
  return out + "</svg>";
}

// The console lines around the finding: the line its evidence names, else the log's tail.
std::string console_excerpt(const fs::path& dir, const Finding& f) {
  auto text = read_file(dir / "console.log");
  if (!text) return "";
  std::vector<std::string> lines;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t center = lines.size();
  std::smatch m;
  static const std::regex kLine("console line (\\d+)");
  if (std::regex_search(f.evidence, m, kLine)) center = std::stoul(m[1]);
  size_t begin = center > 20 ? center - 20 : 0;
  size_t end = std::min(lines.size(), center + 20);
  if (center >= lines.size()) begin = lines.size() > 40 ? lines.size() - 40 : 0;
  std::string out;
  for (size_t i = begin; i < end; ++i) out += lines[i] + "\n";
  return out;
}

std::string findings_html(const RunReport& r, const fs::path& dir) {
  if (r.findings.empty()) return "<p class=\"muted\">No findings.</p>";
  std::string out;
  for (const auto& f : r.findings) {
    out += fmt::format("<div class=\"finding\" data-kind=\"{}\"><h3>{}</h3>", html::escape(f.kind),
                       html::escape(describe(f)));
    std::vector<StackGroup> groups = f.stacks;
    std::stable_sort(groups.begin(), groups.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });
    for (const auto& g : groups) {
      std::string tasks;
      for (const auto& t : g.tasks) tasks += (tasks.empty() ? "" : ", ") + t;
      std::string frames;
      for (const auto& fr : g.frames) frames += fr + "\n";
      out += fmt::format(
          "<details class=\"stack\" open><summary>{} task(s) in state {}: {}</summary><pre>{}</pre>"
          "</details>",
          g.count, html::escape(g.state), html::escape(tasks), html::escape(frames));
    }
    std::string excerpt = console_excerpt(dir, f);
    if (!excerpt.empty()) {
      out += "<details class=\"console\"><summary>console excerpt</summary><pre>" +
             html::escape(excerpt) + "</pre></details>";
    }
    out += "</div>";
  }
  return out;
}

std::string artifacts_html(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), dir, ec).string());
  }
  std::sort(files.begin(), files.end());
  std::string out = "<ul class=\"artifacts\">";
  for (const auto& f : files) {
    out += fmt::format("<li><a href=\"{0}\">{0}</a></li>", html::escape(f));
  }
  return out + "</ul>";
}

class HtmlRunWriter : public Writer {
 public:
  Status write(const RunReport& r, const fs::path& dir) const override {
    const char* verdict = to_string(r.verdict);
    std::string body = fmt::format(
        "<h1>wedge run {} — {}</h1><div class=\"banner {}\" id=\"verdict\">{}: {}</div>"
        "<p>kernel {} · boot {} · run {:.1f} s · {} · started {}</p>",
        html::escape(r.run_id), html::escape(r.scenario), html::verdict_class(verdict), verdict,
        html::escape(r.reason), html::escape(r.kernel_release),
        r.boot_s < 0 ? std::string("never") : fmt::format("{:.1f} s", r.boot_s), r.run_s,
        html::escape(r.accel), html::escape(r.started_at));
    if (!r.infra_error.empty()) body += "<p>infra error: " + html::escape(r.infra_error) + "</p>";
    auto samples = read_records(dir / "samples.jsonl", "sample");
    auto progress = read_records(dir / "progress.jsonl", nullptr);
    double x_max = r.run_s;
    for (const auto* records : {&samples, &progress}) {
      if (!records->empty()) x_max = std::max(x_max, records->back().first);
    }
    body += "<h2>Timeline</h2>" + timeline(r, x_max);
    body += "<h2>Guest and server over time</h2><div class=\"plots\">";
    std::vector<std::string> missing;
    std::string device;
    for (const auto& [t, sample] : samples) {
      if (sample.contains("block_device") && sample.at("block_device").is_string())
        device = sample.at("block_device").get<std::string>();
    }
    std::string unit = workload_unit(progress);
    for (const auto& s : kSeries) {
      std::vector<std::pair<double, double>> points;
      for (const auto& [t, record] : s.source == Source::kSample ? samples : progress) {
        if (auto v = s.value(record)) points.emplace_back(t, *v);
      }
      if (points.empty()) {
        if (std::find(missing.begin(), missing.end(), s.group) == missing.end())
          missing.push_back(s.group);
        continue;
      }
      std::string title = s.title;
      if (std::string_view(s.group) == kDevice && !device.empty()) title += " (" + device + ")";
      body += html::line_plot(title, s.unit ? s.unit : unit, points, x_max, marks_of(r));
    }
    body += "</div>";
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      body += "<p class=\"muted\">Not sampled in this run: " + html::escape(list) + ".</p>";
    }
    body += fmt::format(
        "<p>guest: pswpout {} pages, swap peak {:.1f} MiB, MemFree min {:.1f} MiB, workload "
        "progress {} MiB · server {}: {:.1f} MiB written, {:.1f} MiB read</p>",
        r.guest.pswpout, r.guest.swap_peak_mib, r.guest.memfree_min_mib,
        r.guest.workload_progress_mib, html::escape(r.server.name),
        static_cast<double>(r.server.bytes_written) / (1 << 20),
        static_cast<double>(r.server.bytes_read) / (1 << 20));
    body += "<h2>Findings</h2>" + findings_html(r, dir);
    body += "<h2>Artifacts</h2>" + artifacts_html(dir);
    return write_file_atomic(dir / "report.html", html::page("wedge " + r.scenario, body))
        .context("writing report.html");
  }
};

}  // namespace

std::unique_ptr<Writer> make_html_run_writer() { return std::make_unique<HtmlRunWriter>(); }

}  // namespace wedge::reports
