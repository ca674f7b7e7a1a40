// Implementation of capability_cache.h.
#include "harness/vm/libvirt/capability_cache.h"

#include <map>
#include <string>

namespace wedge::vm {

namespace fs = std::filesystem;

namespace {

// File name -> last write time of every *.xml file in dir (empty when dir is unreadable).
std::map<std::string, fs::file_time_type> cache_files(const fs::path& dir) {
  std::map<std::string, fs::file_time_type> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".xml") continue;
    std::error_code time_ec;
    auto written = fs::last_write_time(it->path(), time_ec);
    if (!time_ec) files.emplace(it->path().filename().string(), written);
  }
  return files;
}

}  // namespace

Result<bool> capability_cache_holds(const fs::path& cache_dir,
                                    const std::function<Status()>& lookup) {
  if (auto first = lookup(); !first) {
    return first.error().context("asking libvirt for QEMU's capabilities");
  }
  auto before = cache_files(cache_dir);
  if (before.empty()) {
    return make_error("libvirt's capability cache {} holds no QEMU capabilities",
                      cache_dir.string());
  }
  if (auto second = lookup(); !second) {
    return second.error().context("asking libvirt for QEMU's capabilities again");
  }
  return cache_files(cache_dir) == before;
}

}  // namespace wedge::vm
