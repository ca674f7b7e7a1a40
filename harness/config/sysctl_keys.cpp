// Implementation of sysctl_keys.h.
#include "harness/config/sysctl_keys.h"

#include <algorithm>
#include <array>

namespace wedge::config {

namespace {
constexpr std::array<std::string_view, 9> kAllowed = {"vm.dirty_ratio",
                                                      "vm.dirty_background_ratio",
                                                      "vm.dirty_bytes",
                                                      "vm.dirty_background_bytes",
                                                      "vm.dirty_expire_centisecs",
                                                      "vm.min_free_kbytes",
                                                      "vm.swappiness",
                                                      "vm.watermark_scale_factor",
                                                      "vm.page-cluster"};
}  // namespace

bool is_allowed_sysctl(std::string_view key) {
  return std::find(kAllowed.begin(), kAllowed.end(), key) != kAllowed.end();
}

std::vector<std::string> allowed_sysctls() { return {kAllowed.begin(), kAllowed.end()}; }

std::string sysctl_path(std::string_view key) {
  std::string path = "/proc/sys/" + std::string(key);
  std::replace(path.begin() + 10, path.end(), '.', '/');
  return path;
}

}  // namespace wedge::config
