// Implementation of nvmet.h.
#include "harness/storage/nvmet.h"

#include <fmt/format.h>

#include "harness/util/text.h"

namespace wedge::storage {

namespace {

constexpr const char* kBusybox = "/bin/busybox";
// Controllers a guest may have (each RAID1 leg is one).
constexpr int kMaxControllers = 8;

}  // namespace

std::vector<ConfigStep> nvmet_target_steps(const NvmetExport& e) {
  using K = ConfigStep::Kind;
  const std::string root = std::string(kConfigfs) + "/nvmet";
  const std::string subsys = root + "/subsystems/" + e.nqn;
  const std::string ns = subsys + "/namespaces/1";
  const std::string port = fmt::format("{}/ports/{}", root, e.port_id);
  return {
      {K::kMkdir, subsys, ""},
      {K::kWrite, subsys + "/attr_allow_any_host", "1"},
      {K::kMkdir, ns, ""},
      {K::kWrite, ns + "/device_path", e.device},
      {K::kWrite, ns + "/enable", "1"},
      {K::kMkdir, port, ""},
      {K::kWrite, port + "/addr_trtype", "tcp"},
      {K::kWrite, port + "/addr_adrfam", "ipv4"},
      {K::kWrite, port + "/addr_traddr", "0.0.0.0"},
      {K::kWrite, port + "/addr_trsvcid", std::to_string(e.port)},
      {K::kSymlink, port + "/subsystems/" + e.nqn, subsys},
  };
}

Status apply_steps(GuestOps& guest, const std::vector<ConfigStep>& steps) {
  for (const ConfigStep& step : steps) {
    switch (step.kind) {
      case ConfigStep::Kind::kMkdir:
        if (auto made = guest.run({kBusybox, "mkdir", step.path}); !made) {
          return made.error().context("configfs: mkdir " + step.path);
        }
        break;
      case ConfigStep::Kind::kWrite:
        WEDGE_CHECK(
            guest.write_file(step.path, step.value)
                .context(fmt::format("configfs: writing '{}' to {}", step.value, step.path)));
        break;
      case ConfigStep::Kind::kSymlink:
        if (auto linked = guest.run({kBusybox, "ln", "-s", step.value, step.path}); !linked) {
          return linked.error().context("configfs: linking " + step.path);
        }
        break;
    }
  }
  return ok_status();
}

Status ensure_configfs(GuestOps& guest) {
  WEDGE_TRY(std::string mounts, guest.read_file("/proc/mounts", 1 << 20));
  if (mounts.find(std::string(" ") + kConfigfs + " configfs ") != std::string::npos) {
    return ok_status();
  }
  if (auto mounted = guest.run({kBusybox, "mount", "-t", "configfs", "configfs", kConfigfs});
      !mounted) {
    return mounted.error().context("mounting configfs");
  }
  return ok_status();
}

std::string nvme_connect_options(const std::string& address, int port, const std::string& nqn) {
  return fmt::format("transport=tcp,traddr={},trsvcid={},nqn={}", address, port, nqn);
}

Result<std::string> find_nvme_namespace(GuestOps& guest, const std::string& nqn,
                                        std::chrono::milliseconds timeout) {
  std::string found;
  // A block device whose size the kernel already knows.
  auto has_disk = [&guest](const std::string& name) {
    auto size = guest.read_file("/sys/block/" + name + "/size", 64);
    if (!size.ok()) return false;
    const std::string_view sectors = trim_end(*size);
    return !sectors.empty() && sectors != "0";
  };
  WEDGE_CHECK(wait_in_guest(
      guest,
      [&]() -> Result<bool> {
        for (int i = 0; i < kMaxControllers; ++i) {
          // Native multipath names the disk after the subsystem; without it, the controller.
          for (const std::string& dir : {fmt::format("/sys/class/nvme-subsystem/nvme-subsys{}", i),
                                         fmt::format("/sys/class/nvme/nvme{}", i)}) {
            auto read = guest.read_file(dir + "/subsysnqn", 512);
            if (!read.ok() || trim_end(*read) != nqn) continue;
            const std::string name = fmt::format("nvme{}n1", i);
            if (has_disk(name)) {
              found = "/dev/" + name;
              return true;
            }
          }
        }
        return false;
      },
      timeout, fmt::format("the namespace of {} in the guest", nqn)));
  return found;
}

}  // namespace wedge::storage
