// Implementation of run_lease.h: one small JSON file per run, written atomically.
#include "harness/run/run_lease.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"

namespace wedge::run {

namespace fs = std::filesystem;

fs::path default_state_dir() {
  if (const char* env = std::getenv("WEDGE_STATE_DIR"); env != nullptr && *env != '\0') return env;
  if (::geteuid() == 0) return "/run/wedge";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "wedge";
  }
  return fs::path(fmt::format("/tmp/wedge-{}", ::geteuid()));
}

Result<RunLease> RunLease::take(const fs::path& state_dir, const std::string& run_id,
                                const fs::path& run_dir, std::vector<std::string> transient_files,
                                std::string domain) {
  const fs::path runs = state_dir / "runs";
  std::error_code ec;
  fs::create_directories(runs, ec);
  if (ec) return make_error("creating {}: {}", runs.string(), ec.message());
  ::chmod(state_dir.c_str(), 0700);
  LeaseRecord fields;
  fields.owner = self_owner();
  fields.run_id = run_id;
  fields.run_dir = run_dir;
  fields.files = std::move(transient_files);
  fields.domain = std::move(domain);
  RunLease lease(runs / (run_id + ".json"), std::move(fields));
  WEDGE_CHECK(lease.write());
  return lease;
}

Status RunLease::write() const {
  nlohmann::json j = {{"owner", fields_.owner.to_string()},
                      {"run_id", fields_.run_id},
                      {"run_dir", fields_.run_dir.string()},
                      {"files", fields_.files},
                      {"domain", fields_.domain}};
  return write_file_atomic(record_, j.dump(2) + "\n").context("recording the run for wedge gc");
}

Status RunLease::add_files(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (std::find(fields_.files.begin(), fields_.files.end(), name) == fields_.files.end()) {
      fields_.files.push_back(name);
    }
  }
  return write();
}

RunLease& RunLease::operator=(RunLease&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!record_.empty()) fs::remove(record_, ec);
    record_ = std::move(other.record_);
    fields_ = std::move(other.fields_);
    other.record_.clear();
  }
  return *this;
}

RunLease::~RunLease() {
  if (record_.empty()) return;
  std::error_code ec;
  fs::remove(record_, ec);
}

std::vector<LeaseRecord> read_leases(const fs::path& state_dir) {
  std::vector<LeaseRecord> out;
  std::error_code ec;
  for (fs::directory_iterator it(state_dir / "runs", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    auto text = read_file(it->path());
    if (!text) continue;
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    auto owner = parse_owner(j.value("owner", ""));
    if (!owner) continue;
    LeaseRecord r;
    r.owner = *owner;
    r.run_id = j.value("run_id", "");
    r.run_dir = j.value("run_dir", "");
    r.domain = j.value("domain", "");
    if (j.contains("files") && j["files"].is_array()) {
      for (const auto& f : j["files"]) {
        if (f.is_string()) r.files.push_back(f.get<std::string>());
      }
    }
    r.record = it->path();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace wedge::run
