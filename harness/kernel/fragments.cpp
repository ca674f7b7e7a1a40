// Implementation of fragments.h.
#include "harness/kernel/fragments.h"

#include <algorithm>
#include <cstdlib>

#include "harness/config/kinds.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"

namespace wedge::kernel {

namespace fs = std::filesystem;

fs::path fragment_dir() {
  if (const char* env = std::getenv("WEDGE_KCONFIG_DIR"); env && *env) return env;
  return fs::path(WEDGE_SOURCE_DIR) / "vm-images" / "kconfig";
}

std::vector<std::string> wanted_fragment_names() {
  std::vector<std::string> names = {"base"};
  auto add = [&names](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const std::string& transport : config::transport_names()) {
    auto kind = config::parse_transport(transport);
    if (!kind) continue;
    const char* fragment = storage::transport_entry(*kind).kconfig_fragment;
    if (fragment != nullptr) add(fragment);
  }
  for (const char* extra : {"raid1", "ext4", "xfs", "btrfs"}) add(extra);
  return names;
}

Result<std::vector<KconfigFile>> load_fragments(const fs::path& dir,
                                                const std::vector<std::string>& names) {
  std::vector<KconfigFile> fragments;
  for (const std::string& name : names) {
    fs::path path = dir / (name + ".config");
    WEDGE_TRY(std::string text, read_file(path).context("reading config fragment"));
    WEDGE_TRY(KconfigFile file, parse_kconfig(text, path.filename().string()));
    fragments.push_back(std::move(file));
  }
  return fragments;
}

std::vector<KconfigFile> built_in(std::vector<KconfigFile> fragments) {
  for (KconfigFile& fragment : fragments) {
    for (KconfigValue& option : fragment.values) {
      if (option.value == "m") option.value = "y";
    }
  }
  return fragments;
}

Result<std::vector<KconfigFile>> wanted_fragments(bool builtin) {
  WEDGE_TRY(std::vector<KconfigFile> fragments,
            load_fragments(fragment_dir(), wanted_fragment_names()));
  if (builtin) return built_in(std::move(fragments));
  return fragments;
}

}  // namespace wedge::kernel
