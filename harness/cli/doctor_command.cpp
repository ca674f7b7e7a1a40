// `wedge doctor`: one line per prerequisite (ok / FAIL with the fix), exit 0 only if all pass.
#include "harness/cli/doctor_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <pwd.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "harness/config/scenario.h"
#include "harness/run/progress.h"
#include "harness/run/reaper.h"
#include "harness/run/run_dir.h"
#include "harness/storage/server_user.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/timeouts.h"
#include "harness/vm/libvirt/capability_cache.h"
#include "harness/vm/libvirt/kvm_probe.h"
#include "harness/vm/libvirt/kvm_views.h"
#include "harness/vm/libvirt/libvirt_backend.h"
#include "vm-images/image.h"
#include "vm-images/stand_ins.h"

namespace wedge::cli {

namespace {

struct DoctorArgs {
  bool probe = true;
  std::string cache;
};

class Checklist {
 public:
  void ok(const std::string& what, const std::string& detail) {
    fmt::print("ok    {:<14} {}\n", what, detail);
  }
  void fail(const std::string& what, const std::string& problem, const std::string& fix) {
    failures_++;
    fmt::print("FAIL  {:<14} {}\n      fix: {}\n", what, problem, fix);
  }
  [[nodiscard]] int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

void check_tool(Checklist& c, const std::string& name, const std::string& package) {
  auto path = find_executable(name);
  if (path) {
    c.ok(name, path->string());
  } else {
    c.fail(name, "not found", fmt::format("apt-get install {} (or run ci/setup.sh)", package));
  }
}

// libvirt re-probing QEMU on every call makes each guest start wait seconds (capability_cache.h);
// its two views of KVM say why (kvm_views.h).
void check_capability_cache(Checklist& c, const vm::LibvirtBackend& backend,
                            const Result<bool>& may_open) {
  if (backend.uri() != vm::kDefaultLibvirtUri) return;  // the cache path is the system daemon's
  auto holds = vm::capability_cache_holds(vm::kSystemCapabilityCache,
                                          [&] { return backend.fetch_domain_capabilities(); });
  auto recorded = vm::cache_records_kvm(vm::kSystemCapabilityCache);
  std::optional<vm::KvmViewsDisagreement> why;
  if (recorded && may_open) {
    why = vm::explain_kvm_views(
        {.probe_recorded_kvm = *recorded, .qemu_user_may_open_kvm = *may_open});
    if (why) {
      c.fail("kvm views", why->problem, why->fix);
    } else {
      c.ok("kvm views",
           fmt::format("libvirt's probe {} KVM and libvirt-qemu {} open /dev/kvm: "
                       "they agree",
                       *recorded ? "found" : "did not find", *may_open ? "may" : "may not"));
    }
  }
  if (!holds) {
    c.fail("qemu caps", holds.error().message(), "check libvirtd's log");
  } else if (*holds) {
    c.ok("qemu caps", "libvirt keeps QEMU's capabilities cached");
  } else {
    c.fail("qemu caps",
           "libvirt re-probes QEMU's capabilities on every call (each guest start waits seconds)",
           why ? why->fix
               : "libvirtd with log_filters=\"1:qemu.qemu_capabilities\" says why (grep "
                 "virQEMUCapsIsValid)");
  }
}

// What each transport runs on the host and copies into its guests (RAID1: mdadm too).
void check_transport_tools(Checklist& c) {
  for (config::TransportKind kind : config::kTransportKinds) {
    config::Scenario scenario;
    scenario.storage.transport = kind;
    scenario.storage.raid1 = storage::transport_entry(kind).mirrors;
    auto transport = storage::make_transport(scenario);
    if (!transport) continue;
    std::vector<std::string> tools = transport->host_programs();
    for (const std::string& t : transport->image_needs().tools) tools.push_back(t);
    std::vector<std::string> missing;
    for (const std::string& t : tools) {
      if (!find_executable(t)) missing.push_back(t);
    }
    std::string name = fmt::format("{}", config::name_of(kind));
    if (missing.empty()) {
      c.ok(name, tools.empty() ? "needs no host tools" : fmt::format("{}", fmt::join(tools, ", ")));
    } else {
      c.fail(name, fmt::format("missing {}", fmt::join(missing, ", ")),
             "run ci/setup.sh (it installs every transport's packages)");
    }
  }
}

int doctor(const DoctorArgs& args) {
  Checklist c;
  if (::geteuid() == 0) {
    c.ok("user", "root");
  } else {
    c.fail("user", "not root", "run wedge as root (libvirt system mode, nbd and loop setup)");
  }
  check_tool(c, "qemu-system-x86_64", "qemu-system-x86");
  check_transport_tools(c);
  check_tool(c, "depmod", "kmod");
  check_tool(c, "apt-get", "apt");
  check_tool(c, "dpkg-deb", "dpkg");
  check_tool(c, "ldd", "libc-bin");
  if (::access("/bin/busybox", X_OK) == 0) {
    c.ok("busybox", "/bin/busybox");
  } else {
    c.fail("busybox", "/bin/busybox missing", "apt-get install busybox-static");
  }
  if (::getpwnam("libvirt-qemu") != nullptr) {
    c.ok("libvirt-qemu", "user exists");
  } else {
    c.fail("libvirt-qemu", "user missing (libvirtd refuses to start without it)",
           "groupadd -r libvirt-qemu; useradd -r -g libvirt-qemu -d /var/lib/libvirt -s "
           "/usr/sbin/nologin libvirt-qemu (ci/setup.sh does this)");
  }
  if (::getpwnam(storage::kServerUserName) != nullptr) {
    c.ok(storage::kServerUserName, "user exists (the storage servers run as it)");
  } else {
    c.fail(storage::kServerUserName, "user missing (the storage servers run as it)",
           "useradd -r -U -d /nonexistent -M -s /usr/sbin/nologin wedge-storage (ci/setup.sh "
           "does this)");
  }
  if (run::DefaultRoot root = run::default_output_root("wedge-runs"); root.note.empty()) {
    c.ok("run dir", "./wedge-runs is reachable by QEMU's and the servers' users");
  } else {
    c.ok("run dir", root.note);
  }
  auto agent = image::default_agent_path();
  if (::access(agent.c_str(), X_OK) == 0) {
    c.ok("agent", agent.string());
  } else {
    c.fail("agent", agent.string() + " missing", "build wedge (cmake --build build)");
  }
  // Without them images still build, with the real libraries (vm-images/stand_ins.h).
  auto stand_ins = image::default_stand_in_dir();
  if (std::error_code ec; std::filesystem::is_directory(stand_ins, ec)) {
    c.ok("stand-ins", stand_ins.string());
  } else {
    c.ok("stand-ins", stand_ins.string() +
                          " missing: iscsi and nbd-loopback images carry the real libraries "
                          "(7 MB more pinned guest RAM); build wedge to get them");
  }
  struct statvfs fs {};
  if (::statvfs(".", &fs) == 0) {
    double free_gib =
        static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / (1 << 30);
    if (free_gib >= 3) {
      c.ok("disk", fmt::format("{:.1f} GiB free here", free_gib));
    } else {
      c.fail("disk", fmt::format("only {:.1f} GiB free here", free_gib),
             "free space: each run writes up to its export size, the kernel cache needs ~200 MiB");
    }
  }
  auto backend = vm::LibvirtBackend::connect();
  if (!backend) {
    c.fail("libvirt", backend.error().message(),
           "start virtlogd -d and libvirtd -d as root (ci/setup.sh does this)");
  } else {
    c.ok("libvirt", fmt::format("{} (libvirt {}, QEMU {})", (*backend)->uri(),
                                (*backend)->libvirt_version(), (*backend)->qemu_version()));
    // Whether libvirt-qemu may open /dev/kvm: one of libvirt's two views, and whether a KVM
    // probe boot can tell anything.
    auto may_open_kvm = vm::qemu_user_may_open_kvm();
    check_capability_cache(c, **backend, may_open_kvm);
    run::ReapOptions reap;
    reap.backend = backend->get();
    reap.cache_dirs = run::image_cache_temp_parents(args.cache);
    run::Reaped reaped = run::reap_leftovers(reap);
    for (const auto& line : reaped.removed) fmt::print("      removed leftover {}\n", line);
    if (reaped.problems.empty()) {
      c.ok("leftovers", fmt::format("{} removed (guests, servers, export images, temp dirs of "
                                    "dead wedges)",
                                    reaped.removed.size()));
    } else {
      c.fail("leftovers",
             fmt::format("{} could not be removed: {}", reaped.problems.size(),
                         reaped.problems.front()),
             "remove them by hand (wedge gc lists them)");
    }
    if (args.probe && may_open_kvm && !*may_open_kvm) {
      c.ok("accel", "libvirt-qemu may not open /dev/kvm: TCG, no probe boot needed");
    } else if (args.probe) {
      image::ImageRequest req;
      req.agent_binary = agent;
      req.cache_dir = args.cache;
      auto img = image::build_image(req);
      if (!img) {
        c.fail("image", img.error().message(), "apt-get update, then wedge image build");
      } else {
        c.ok("image", fmt::format("{} ({})", img->kernel_release, img->hash.substr(0, 12)));
        auto scratch = TempDir::create("wedge-doctor");
        Timeouts t;
        auto kvm = scratch ? vm::probe_kvm(**backend, img->boot_kernel, img->initrd,
                                           scratch->path(), t.kvm_probe)
                           : Result<bool>(scratch.error());
        if (!kvm) {
          c.fail("accel", kvm.error().message(), "check libvirtd's log");
        } else {
          c.ok("accel", *kvm ? "KVM boots a guest: using KVM"
                             : "/dev/kvm present but a KVM guest does not boot: using TCG");
        }
      }
    }
  }
  fmt::print("{}\n", c.failures() == 0 ? "all prerequisites present"
                                       : fmt::format("{} problem(s) found", c.failures()));
  return c.failures() == 0 ? 0 : 1;
}

}  // namespace

Command add_doctor_command(CLI::App& parent) {
  auto args = std::make_shared<DoctorArgs>();
  CLI::App* app = parent.add_subcommand(
      "doctor",
      "Check every prerequisite (libvirt, QEMU, KVM by a probe boot, tools, disk) and "
      "print what is missing and how to fix it.");
  app->add_flag("!--no-probe", args->probe, "skip the KVM probe boot (and the image it needs)");
  app->add_option("--cache", args->cache, "image cache directory (default: ~/.cache/wedge)");
  return Command{app, [args] { return doctor(*args); }};
}

}  // namespace wedge::cli
