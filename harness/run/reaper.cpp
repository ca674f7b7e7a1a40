// Implementation of reaper.h.
#include "harness/run/reaper.h"

#include <signal.h>
#include <unistd.h>

#include "harness/run/run_lease.h"
#include "harness/util/files.h"
#include "harness/util/owner.h"
#include "vm-images/image_cache.h"

namespace wedge::run {

namespace fs = std::filesystem;

namespace {

std::string dead(const Owner& o) { return fmt::format("owner pid {} is gone", o.pid); }

void reap_domains(const ReapOptions& o, Reaped& out) {
  vm::LeftoverGuests* guests =
      o.backend != nullptr ? vm::find<vm::LeftoverGuests>(*o.backend) : nullptr;
  if (guests == nullptr) return;
  auto domains = guests->wedge_domains();
  if (!domains) {
    out.problems.push_back(domains.error().context("listing guests").message());
    return;
  }
  for (const auto& d : *domains) {
    auto owner = parse_owner(d.owner);
    if (!owner) {
      out.kept.push_back(
          fmt::format("guest {}: owner unknown ('{}'), not touched", d.name, d.owner));
      continue;
    }
    if (owner_alive(*owner)) continue;
    if (d.kept) {
      out.kept.push_back(
          fmt::format("guest {}: kept for post-mortem (--keep-wedged); remove it "
                      "with virsh -c qemu:///system destroy {}",
                      d.name, d.name));
      continue;
    }
    std::string what = fmt::format("guest {} ({})", d.name, dead(*owner));
    if (o.dry_run) {
      out.removed.push_back(what);
    } else if (auto s = guests->destroy_domain(d.name); s) {
      out.removed.push_back(what);
    } else {
      out.problems.push_back(s.error().context(what).message());
    }
  }
}

// The WEDGE_OWNER entry of a process's initial environment, if any.
std::optional<Owner> process_owner(const fs::path& proc_entry) {
  auto env = read_file(proc_entry / "environ");
  if (!env) return std::nullopt;
  const std::string key = std::string(kOwnerEnv) + "=";
  size_t at = 0;
  while (at < env->size()) {
    size_t end = env->find('\0', at);
    std::string_view entry(env->data() + at, (end == std::string::npos ? env->size() : end) - at);
    if (entry.starts_with(key)) return parse_owner(entry.substr(key.size()));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return std::nullopt;
}

std::string process_name(const fs::path& proc_entry) {
  auto comm = read_file(proc_entry / "comm");
  std::string name = comm ? *comm : "?";
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

void reap_processes(const ReapOptions& o, Reaped& out) {
  std::error_code ec;
  for (fs::directory_iterator it(o.proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    auto owner = process_owner(it->path());
    // A wedge's own environment names itself (it is an owner, not a leftover).
    if (!owner || owner->pid == pid || owner_alive(*owner)) continue;
    std::string what =
        fmt::format("process {} ({}, {})", pid, process_name(it->path()), dead(*owner));
    if (o.dry_run) {
      out.removed.push_back(what);
      continue;
    }
    ::kill(pid, SIGCONT);  // a stopped one (a stalled server) must die too
    if (::kill(pid, SIGKILL) == 0 || errno == ESRCH) {
      out.removed.push_back(what);
    } else {
      out.problems.push_back(errno_error(what, errno).message());
    }
  }
}

bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

void reap_leases(const ReapOptions& o, const fs::path& state_dir, Reaped& out) {
  for (const LeaseRecord& lease : read_leases(state_dir)) {
    if (owner_alive(lease.owner)) continue;
    for (const std::string& file : lease.files) {
      if (!plain_name(file)) continue;
      fs::path path = lease.run_dir / file;
      std::error_code ec;
      if (!fs::exists(fs::symlink_status(path, ec))) continue;
      std::string what =
          fmt::format("{} (run {}, {})", path.string(), lease.run_id, dead(lease.owner));
      if (!o.dry_run) fs::remove_all(path, ec);  // a symlink itself, never what it points to
      if (ec) {
        out.problems.push_back(fmt::format("{}: {}", what, ec.message()));
      } else {
        out.removed.push_back(what);
      }
    }
    std::error_code ec;
    if (!o.dry_run) fs::remove(lease.record, ec);
  }
}

// Directories named by TempDir (prefix.PID.START-XXXXXX) whose owner is dead.
void reap_temp_dirs(const ReapOptions& o, const fs::path& dir, bool dotted_only, Reaped& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (dotted_only ? !name.starts_with(".") : !name.starts_with("wedge")) continue;
    std::error_code type_ec;
    if (!it->is_directory(type_ec) || it->is_symlink(type_ec)) continue;
    auto owner = owner_of_temp_name(name);
    if (!owner || owner_alive(*owner)) continue;
    std::string what = fmt::format("temp dir {} ({})", it->path().string(), dead(*owner));
    std::error_code rm_ec;
    if (!o.dry_run) fs::remove_all(it->path(), rm_ec);
    if (rm_ec) {
      out.problems.push_back(fmt::format("{}: {}", what, rm_ec.message()));
    } else {
      out.removed.push_back(what);
    }
  }
}

}  // namespace

std::vector<fs::path> image_cache_temp_parents(const fs::path& cache_dir) {
  image::ImageRequest request;
  request.cache_dir = cache_dir;
  auto root = image::cache_root(request);
  if (!root) return {};
  return {*root / "images", *root / "kernels", *root / "debug"};
}

Reaped reap_leftovers(const ReapOptions& o) {
  Reaped out;
  reap_domains(o, out);
  reap_processes(o, out);
  reap_leases(o, o.state_dir.empty() ? default_state_dir() : o.state_dir, out);
  std::error_code ec;
  fs::path temp = o.temp_dir.empty() ? fs::temp_directory_path(ec) : o.temp_dir;
  if (!ec) reap_temp_dirs(o, temp, /*dotted_only=*/false, out);
  for (const fs::path& cache : o.cache_dirs) reap_temp_dirs(o, cache, /*dotted_only=*/true, out);
  return out;
}

}  // namespace wedge::run
