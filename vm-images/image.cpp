// build_image: finds the kernel, plans the initramfs tree, and builds it unless the cache
// already holds an image with the same content hash. Also the per-run extras archive.
#include "vm-images/image.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/sha256.h"
#include "vm-images/contents.h"
#include "vm-images/cpio.h"
#include "vm-images/image_cache.h"
#include "vm-images/image_tree.h"
#include "vm-images/kernel.h"
#include "vm-images/module_set.h"
#include "vm-images/packages.h"
#include "vm-images/pvh_kernel.h"
#include "vm-images/stand_ins.h"

namespace wedge::image {

namespace fs = std::filesystem;

namespace {

void report(const ProgressFn& progress, const std::string& line) {
  if (progress) progress(line);
}

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

Status copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("copying {} to {}: {}", from.string(), to.string(), ec.message());
  return ok_status();
}

// Everything but the module index (which is generated only when building): enough to hash.
struct Plan {
  ImageTree tree;
  ModuleSet modules;
};

// The network card's driver must be built in or a module: without it the guest boots with no
// network and every transport fails later with less clear messages. A tree without
// modules.builtin cannot tell built in from missing; plan_module_set takes such names as built in.
Status check_nic_driver(const ModuleIndex& index, const std::string& driver,
                        const KernelFiles& kernel) {
  const std::string name = normalise_module_name(driver);
  if (name.empty() || index.builtin.contains(name) || index.modules.contains(name) ||
      !index.builtin_listed) {
    return ok_status();
  }
  std::string hint;
  if (kernel.release.ends_with("-cloud-amd64")) {
    // Measured on 6.1.0-57: the cloud flavour has virtio_net and vmxnet3, the generic one
    // e1000 and 8139cp as well.
    hint = fmt::format(
        "; Debian's generic flavour of this release (--kernel debian:{}-amd64) has e1000, "
        "vmxnet3 and 8139cp",
        kernel.release.substr(0, kernel.release.size() - std::string_view("-cloud-amd64").size()));
  }
  return make_error(
      "kernel {} has no driver {} for the guest's network card ([guest] nic): it is neither built "
      "in ({}/modules.builtin) nor a module ({}/modules.dep){}",
      kernel.release, name, kernel.modules_dir.string(), kernel.modules_dir.string(), hint);
}

Result<Plan> plan_image(const ImageRequest& request, const KernelFiles& kernel,
                        const fs::path& cache, const ProgressFn& progress) {
  Plan plan;
  add_base_system(plan.tree);

  fs::path agent = request.agent_binary.empty() ? default_agent_path() : request.agent_binary;
  std::error_code ec;
  if (!fs::is_regular_file(agent, ec)) {
    return make_error("agent binary {} not found (build the wedge-agent target or pass --agent)",
                      agent.string());
  }
  WEDGE_CHECK(add_program(plan.tree, agent, "/init").context("adding the agent as /init"));
  // The agent's workload modes run as /bin/wedge-hog, -write, -watch so that task dumps name
  // them, not "init" (which reads as PID 1).
  for (const char* name : {"/bin/wedge-hog", "/bin/wedge-write", "/bin/wedge-watch"}) {
    plan.tree.add_symlink(name, "/init");
  }

  std::vector<std::string> tool_names;
  const fs::path stand_ins =
      request.stand_in_dir.empty() ? default_stand_in_dir() : request.stand_in_dir;
  for (const std::string& tool : request.tools) {
    WEDGE_TRY(fs::path host, find_executable(tool));
    const std::string what = fmt::format("adding tool {}", tool);
    const std::string guest = host.lexically_normal().string();
    if (std::find(request.lean_tools.begin(), request.lean_tools.end(), tool) ==
        request.lean_tools.end()) {
      WEDGE_CHECK(add_program(plan.tree, host, guest).context(what));
    } else {
      auto stood_in = add_program_with_stand_ins(plan.tree, host, guest, stand_ins);
      if (!stood_in) return stood_in.error().context(what);
      report(progress, stood_in->empty()
                           ? fmt::format("{}: real libraries (no stand-ins in {} serve it)", tool,
                                         stand_ins.string())
                           : fmt::format("{}: stand-ins for {}", tool, join(*stood_in)));
    }
    tool_names.push_back(host.filename().string());
  }
  if (!request.packages.empty()) {
    auto packages = fetch_packages(request.packages, cache / "packages", progress);
    if (!packages) return packages.error().context("[guest] packages");
    WEDGE_TRY(std::vector<std::string> programs, add_package_programs(plan.tree, *packages));
    for (const std::string& p : programs) tool_names.push_back(fs::path(p).filename().string());
    report(progress,
           fmt::format("packages: {} ({} programs)", join(request.packages), programs.size()));
  }
  if (!fs::exists(kHostBusybox)) {
    return make_error("{} not found (apt-get install busybox-static)", kHostBusybox);
  }
  WEDGE_CHECK(add_busybox(plan.tree, kHostBusybox, tool_names).context("adding busybox"));
  for (const auto& [path, content] : request.files) plan.tree.add_bytes(path, content);

  if (!kernel.modules_dir.empty()) {
    WEDGE_TRY(ModuleIndex index, load_module_index(kernel.modules_dir));
    WEDGE_CHECK(check_nic_driver(index, request.nic_driver, kernel));
    auto modules = plan_module_set(index, boot_modules(request.nic_driver), request.extra_modules);
    if (!modules) return modules.error().context(fmt::format("kernel {}", kernel.release));
    plan.modules = std::move(*modules);
    if (!plan.modules.built_in.empty()) {
      report(progress, "modules: built into the kernel: " + join(plan.modules.built_in));
    }
    if (!plan.modules.absent_optional.empty()) {
      report(progress,
             "modules: not in this kernel, done without: " + join(plan.modules.absent_optional) +
                 " (qemu_fw_cfg: memory dumps will not name their kernel; "
                 "CONFIG_FW_CFG_SYSFS)");
    }
    if (!plan.modules.assumed_built_in.empty()) {
      report(progress,
             fmt::format("modules: {} has no modules.builtin; taken as built in "
                         "(not in modules.dep): {}",
                         kernel.modules_dir.string(), join(plan.modules.assumed_built_in)));
    }
    WEDGE_CHECK(add_module_files(plan.tree, kernel.modules_dir, kernel.release, plan.modules));
  } else {
    report(progress,
           fmt::format("modules: none in the image; the kernel must have built in: {}",
                       join(boot_modules(request.nic_driver)) + " " + join(request.extra_modules)));
  }
  plan.tree.add_bytes(kModulesLoadPath, format_modules_load(kernel.release, plan.modules.boot));
  return plan;
}

std::vector<std::string> boot_module_names(const ModuleSet& set) {
  std::vector<std::string> names;
  for (const BootModule& m : set.boot) names.push_back(module_name_from_path(m.path));
  return names;
}

// Writes the image into a fresh directory next to its final place, then renames it there.
Result<GuestImage> build_into_cache(Plan& plan, const KernelFiles& kernel,
                                    const std::string& manifest, const std::string& hash,
                                    const fs::path& images, const ProgressFn& progress) {
  std::error_code ec;
  fs::create_directories(images, ec);
  if (ec) return make_error("creating {}: {}", images.string(), ec.message());
  remove_abandoned_temp_dirs(images);
  WEDGE_TRY(TempDir work, TempDir::create(".build-" + hash.substr(0, 12), images));
  fs::path out = work.path() / "image";
  fs::create_directory(out, ec);
  if (ec) return make_error("creating {}: {}", out.string(), ec.message());

  if (!kernel.modules_dir.empty()) {
    WEDGE_CHECK(add_module_index(plan.tree, kernel.modules_dir, kernel.release, plan.modules,
                                 work.path() / "staging"));
  }
  WEDGE_TRY(CpioWriter cpio, CpioWriter::create(out / kInitrdFile));
  for (const CpioEntry& entry : plan.tree.entries()) WEDGE_CHECK(cpio.add(entry));
  WEDGE_CHECK(cpio.finish());
  WEDGE_CHECK(copy_into(kernel.kernel, out / kKernelFile));
  if (!kernel.system_map.empty()) WEDGE_CHECK(copy_into(kernel.system_map, out / kSystemMapFile));
  WEDGE_CHECK(write_file_atomic(out / kManifestFile, manifest));

  GuestImage image;
  image.kernel_release = kernel.release;
  image.hash = hash;
  image.initrd_bytes = fs::file_size(out / kInitrdFile, ec);
  image.pinned_bytes = cpio.file_bytes();
  image.boot_modules_in_order = boot_module_names(plan.modules);
  WEDGE_CHECK(write_image_metadata(out, image));

  fs::path final_dir = images / hash;
  if (::rename(out.c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    // Another build of the same content finished first; its image is identical.
    if (auto other = load_cached_image(final_dir)) return *other;
    return errno_error(fmt::format("rename {} to {}", out.string(), final_dir.string()), err);
  }
  image.kernel = final_dir / kKernelFile;
  image.initrd = final_dir / kInitrdFile;
  if (!kernel.system_map.empty()) image.system_map = final_dir / kSystemMapFile;
  report(progress, fmt::format("image: built {} (initrd {}, {} pinned)", final_dir.string(),
                               mib(image.initrd_bytes), mib(image.pinned_bytes)));
  return image;
}

// Sets image.boot_kernel: the uncompressed vmlinux when the bzImage has a PVH entry (under TCG,
// decompressing an XZ payload took 2.5-3 s of each boot), else the bzImage.
Status choose_boot_kernel(GuestImage& image, const fs::path& boot_kernels,
                          const ProgressFn& progress) {
  auto boot = boot_kernel_for(image.kernel, boot_kernels);
  if (!boot) return boot.error().context("preparing the kernel to boot");
  image.boot_kernel = boot->path;
  image.boot_kernel_pvh = boot->pvh;
  report(progress,
         boot->pvh ? fmt::format("kernel: booting the uncompressed vmlinux through its PVH entry "
                                 "({})",
                                 boot->detail)
                   : fmt::format("kernel: booting the bzImage: {}", boot->detail));
  return ok_status();
}

}  // namespace

std::vector<std::string> boot_modules(const std::string& nic_driver) {
  std::vector<std::string> modules = {"virtio_pci", "virtio_console", nic_driver, "virtio_balloon",
                                      // exposes QEMU's vmcoreinfo device, so memory dumps name
                                      // their kernel
                                      "qemu_fw_cfg"};
  std::erase(modules, std::string());
  return modules;
}

std::vector<std::string> default_extra_modules() { return {"nbd"}; }

std::vector<std::string> default_tools() { return {"nbd-client"}; }

fs::path default_agent_path() { return next_to_this_program("wedge-agent"); }

Result<GuestImage> build_image(const ImageRequest& request, const ProgressFn& progress) {
  WEDGE_TRY(fs::path root, cache_root(request));
  auto kernel = find_kernel(request, root, progress);
  if (!kernel) return kernel.error().context("guest kernel");
  report(progress, fmt::format("kernel: {} ({})", kernel->release, kernel->kernel.string()));

  auto plan = plan_image(request, *kernel, root, progress);
  if (!plan) return plan.error().context("guest image contents");
  report(progress, fmt::format("modules: boot {}; in image {}",
                               join(boot_module_names(plan->modules)), plan->modules.paths.size()));

  ManifestHeader header{kernel->release, "", boot_modules(request.nic_driver),
                        request.extra_modules, request.tools};
  WEDGE_TRY(std::string manifest, build_manifest(header, kernel->kernel, plan->tree));
  WEDGE_TRY(std::string hash, sha256_hex(manifest));
  fs::path images = root / "images";
  Result<GuestImage> image = [&]() -> Result<GuestImage> {
    if (auto cached = load_cached_image(images / hash)) {
      report(progress, fmt::format("image: {} is cached", hash.substr(0, 16)));
      return *cached;
    }
    report(progress, fmt::format("image: building {}", hash.substr(0, 16)));
    return build_into_cache(*plan, *kernel, manifest, hash, images, progress)
        .context("building guest image");
  }();
  if (!image) return image;
  WEDGE_CHECK(choose_boot_kernel(*image, root / kBootKernelsDir, progress));
  return image;
}

Status write_initrd_with_extras(const fs::path& base, const std::vector<ExtraFile>& files,
                                const fs::path& out) {
  std::error_code ec;
  if (!fs::is_regular_file(base, ec)) return make_error("base initrd {} not found", base.string());
  ImageTree tree;
  for (const ExtraFile& file : files) {
    if (!file.guest_path.starts_with("/") || normalise_guest_path(file.guest_path) == "/") {
      return make_error("extra file {}: guest path '{}' must be an absolute file path",
                        file.host_path.string(), file.guest_path);
    }
    auto perms = fs::status(file.host_path, ec).permissions();
    auto mode = static_cast<uint32_t>(perms & fs::perms::mask) & 0777;
    WEDGE_CHECK(tree.add_host_file(file.guest_path, file.host_path, mode));
    if (mode & 0111) {
      WEDGE_CHECK(add_shared_libraries(tree, file.host_path)
                      .context(fmt::format("libraries of {}", file.host_path.string())));
    }
  }
  fs::path tmp = out;
  tmp += fmt::format(".tmp.{}", ::getpid());
  fs::copy_file(base, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("copying {} to {}: {}", base.string(), tmp.string(), ec.message());
  // Inode numbers apart from the base archive's, in case an unpacker tracks hard links.
  constexpr uint32_t kExtrasFirstInode = 1u << 24;
  Status written = [&]() -> Status {
    WEDGE_TRY(CpioWriter cpio, CpioWriter::create(tmp, /*append=*/true, kExtrasFirstInode));
    for (const CpioEntry& entry : tree.entries()) WEDGE_CHECK(cpio.add(entry));
    return cpio.finish();
  }();
  if (written.ok() && ::rename(tmp.c_str(), out.c_str()) != 0) {
    written = errno_error(fmt::format("rename {} to {}", tmp.string(), out.string()), errno);
  }
  if (!written.ok()) fs::remove(tmp, ec);
  return written;
}

}  // namespace wedge::image
