// Implementation of module_set.h.
#include "vm-images/module_set.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string guest_modules_dir(const std::string& release) { return "/lib/modules/" + release; }

// modules.order restricted to the modules in the image (depmod sorts modules.dep by it).
std::string filtered_order(const std::string& order, const std::set<std::string>& paths) {
  std::string out;
  size_t pos = 0;
  while (pos < order.size()) {
    size_t nl = order.find('\n', pos);
    std::string line = order.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (paths.contains(line)) out += line + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// The names that need a file, in order; the others go to set.built_in or set.assumed_built_in.
// A name in neither table of a tree that lists its built-ins is left for resolve_load_order to
// report.
std::vector<std::string> names_to_load(const ModuleIndex& index,
                                       const std::vector<std::string>& names, ModuleSet& set) {
  std::vector<std::string> to_load;
  auto note = [](std::vector<std::string>& into, const std::string& name) {
    if (std::find(into.begin(), into.end(), name) == into.end()) into.push_back(name);
  };
  for (const std::string& asked : names) {
    std::string name = normalise_module_name(asked);
    if (index.builtin.contains(name)) {
      note(set.built_in, name);
    } else if (!index.modules.contains(name) && index.builtin_listed && is_optional_module(name)) {
      note(set.absent_optional, name);
    } else if (!index.modules.contains(name) && !index.builtin_listed) {
      note(set.assumed_built_in, name);
    } else {
      to_load.push_back(name);
    }
  }
  return to_load;
}

}  // namespace

bool is_optional_module(const std::string& name) {
  return normalise_module_name(name) == "qemu_fw_cfg";
}

Result<ModuleSet> plan_module_set(const ModuleIndex& index, const std::vector<std::string>& boot,
                                  const std::vector<std::string>& extra) {
  ModuleSet set;
  std::vector<std::string> boot_names;
  std::vector<std::pair<std::string, std::string>> params;  // normalised name, params
  for (const std::string& entry : boot) {
    auto space = entry.find(' ');
    std::string name = normalise_module_name(entry.substr(0, space));
    boot_names.push_back(name);
    if (space != std::string::npos) {
      auto start = entry.find_first_not_of(' ', space);
      if (start != std::string::npos) params.emplace_back(name, entry.substr(start));
    }
  }
  WEDGE_TRY(std::vector<std::string> boot_paths,
            resolve_load_order(index, names_to_load(index, boot_names, set)));
  WEDGE_TRY(std::vector<std::string> extra_paths,
            resolve_load_order(index, names_to_load(index, extra, set)));
  std::set<std::string> seen;
  for (const std::string& path : boot_paths) {
    BootModule module{path, ""};
    for (const auto& [name, p] : params) {
      if (module_name_from_path(path) == name) module.params = p;
    }
    set.boot.push_back(std::move(module));
    if (seen.insert(path).second) set.paths.push_back(path);
  }
  for (const std::string& path : extra_paths) {
    if (seen.insert(path).second) set.paths.push_back(path);
  }
  return set;
}

std::string format_modules_load(const std::string& release, const std::vector<BootModule>& boot) {
  std::string out;
  for (const BootModule& m : boot) {
    out += fmt::format("lib/modules/{}/{}{}{}\n", release, m.path, m.params.empty() ? "" : " ",
                       m.params);
  }
  return out;
}

Status add_module_files(ImageTree& tree, const fs::path& modules_dir, const std::string& release,
                        const ModuleSet& set) {
  std::string guest_dir = guest_modules_dir(release);
  for (const std::string& path : set.paths) {
    WEDGE_CHECK(tree.add_host_file(guest_dir + "/" + path, modules_dir / path, 0644));
  }
  for (const char* name : {"modules.builtin", "modules.builtin.modinfo"}) {
    if (fs::exists(modules_dir / name)) {
      WEDGE_CHECK(tree.add_host_file(guest_dir + "/" + name, modules_dir / name, 0644));
    }
  }
  std::string order;
  if (fs::exists(modules_dir / "modules.order")) {
    WEDGE_TRY(order, read_file(modules_dir / "modules.order"));
  }
  std::set<std::string> paths(set.paths.begin(), set.paths.end());
  tree.add_bytes(guest_dir + "/modules.order", filtered_order(order, paths));
  return ok_status();
}

Status add_module_index(ImageTree& tree, const fs::path& modules_dir, const std::string& release,
                        const ModuleSet& set, const fs::path& staging) {
  fs::path dir = staging / "lib/modules" / release;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());
  auto copy = [&](const fs::path& from, const fs::path& to) -> Status {
    fs::create_directories(to.parent_path(), ec);
    if (!ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("copying {} to {}: {}", from.string(), to.string(), ec.message());
    return ok_status();
  };
  for (const std::string& path : set.paths) WEDGE_CHECK(copy(modules_dir / path, dir / path));
  for (const char* name : {"modules.builtin", "modules.builtin.modinfo"}) {
    if (fs::exists(modules_dir / name)) WEDGE_CHECK(copy(modules_dir / name, dir / name));
  }
  std::string order;
  if (fs::exists(modules_dir / "modules.order")) {
    WEDGE_TRY(order, read_file(modules_dir / "modules.order"));
  }
  std::set<std::string> paths(set.paths.begin(), set.paths.end());
  WEDGE_CHECK(write_file_atomic(dir / "modules.order", filtered_order(order, paths)));
  WEDGE_CHECK(run_checked({"depmod", "-b", staging.string(), release}, 120s)
                  .context("depmod for the image's modules"));
  std::string guest_dir = guest_modules_dir(release);
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    std::string guest = guest_dir + "/" + name;
    if (!entry.is_regular_file() || !name.starts_with("modules.") || tree.contains(guest)) {
      continue;
    }
    WEDGE_CHECK(tree.add_host_file(guest, entry.path(), 0644));
  }
  if (ec) return make_error("listing {}: {}", dir.string(), ec.message());
  return ok_status();
}

}  // namespace wedge::image
