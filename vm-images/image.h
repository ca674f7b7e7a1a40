// Guest images: a kernel plus a small initramfs (busybox, the wedge agent as /init, client
// tools with their shared libraries, and exactly the kernel modules needed, dependencies
// resolved in load order). Built from Debian packages or the user's own kernel, and cached
// by content hash so that an unchanged image is not rebuilt.
//
//   image::ImageRequest req;                       // defaults: Debian cloud kernel
//   req.agent_binary = "/path/to/wedge-agent";
//   WEDGE_TRY(image::GuestImage img, image::build_image(req, progress));
//   // img.boot_kernel, img.initrd are ready for a VmSpec
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge::image {

// The driver of the guest's network card when the scenario names none (virtio-net).
inline constexpr char kDefaultNicDriver[] = "virtio_net";
// Modules the agent loads at boot, in order, before it opens its channel (see modules.load
// below), with nic_driver for the network card: boot_modules("e1000") loads e1000 where the
// default loads virtio_net. A request's list is boot_modules(request.nic_driver).
std::vector<std::string> boot_modules(const std::string& nic_driver = kDefaultNicDriver);
// Modules put in the image for scenarios to load on demand with `modprobe` (nbd, ...).
std::vector<std::string> default_extra_modules();
// Host programs copied into the image with their shared libraries.
std::vector<std::string> default_tools();

struct ImageRequest {
  // "default": the Debian cloud kernel (linux-image-cloud-amd64, downloaded with apt-get
  // download into the cache); "debian-amd64": Debian's generic kernel (linux-image-amd64,
  // which has 9p). Otherwise a path to the user's bzImage.
  std::string kernel = "default";
  // With a custom kernel: a directory holding lib/modules/<release> (INSTALL_MOD_PATH), or
  // empty for a kernel with everything built in.
  std::filesystem::path modules_dir;
  // The network card's driver, loaded at boot with the others (boot_modules(nic_driver)): a
  // kernel that has it neither built in nor as a module is an error naming both, before
  // anything is built. Empty: not checked, and not loaded.
  std::string nic_driver = kDefaultNicDriver;
  std::vector<std::string> extra_modules = default_extra_modules();
  std::vector<std::string> tools = default_tools();
  // Tools among `tools` whose never-called libraries go in as stand-ins (stand_ins.h).
  std::vector<std::string> lean_tools;
  std::filesystem::path stand_in_dir;  // empty: default_stand_in_dir()
  // Debian packages whose programs go in with their libraries ([guest] packages, a workload's
  // own tools): fetched with apt-get download into the cache (vm-images/packages.h).
  std::vector<std::string> packages;
  // Small files to write into the image: absolute guest path and content.
  std::vector<std::pair<std::string, std::string>> files;
  // The static wedge-agent, becomes /init (empty: default_agent_path()).
  std::filesystem::path agent_binary;
  std::filesystem::path cache_dir;  // empty: $WEDGE_CACHE_DIR or ~/.cache/wedge
};

struct GuestImage {
  std::filesystem::path kernel;  // the bzImage (in the image cache)
  // What the guest boots: the bzImage's uncompressed vmlinux (CACHE/boot-kernels/<sha256>/vmlinux,
  // entered through its PVH entry, which skips the decompressor) when it has one, else kernel.
  std::filesystem::path boot_kernel;
  bool boot_kernel_pvh = false;      // boot_kernel is the vmlinux
  std::filesystem::path initrd;      // uncompressed newc cpio
  std::filesystem::path system_map;  // may be empty when unknown
  std::string kernel_release;        // e.g. "6.1.0-56-cloud-amd64"
  std::string hash;                  // content hash of everything that went in
  bool from_cache = false;
  uint64_t initrd_bytes = 0;  // file size of the initrd
  uint64_t pinned_bytes = 0;  // bytes of file data the guest keeps in RAM (rootfs)
  std::vector<std::string> boot_modules_in_order;  // as loaded by the agent at boot
};

using ProgressFn = std::function<void(const std::string&)>;

// Where the agent binary is looked for when ImageRequest::agent_binary is empty:
// wedge-agent next to the running executable (the directory of /proc/self/exe).
std::filesystem::path default_agent_path();

// Builds (or finds in the cache) the image described by request.
[[nodiscard]] Result<GuestImage> build_image(const ImageRequest& request,
                                             const ProgressFn& progress = {});

// A host file to place in the guest (under /extra, by default).
struct ExtraFile {
  std::filesystem::path host_path;
  std::string guest_path;  // absolute path in the guest, e.g. "/extra/repro"
};

// Writes out = base initrd followed by a second cpio archive holding files (the kernel
// unpacks concatenated archives in order). Used per run for the scenario's own files; an
// executable among them brings the shared libraries ldd names, at their host paths.
[[nodiscard]] Status write_initrd_with_extras(const std::filesystem::path& base,
                                              const std::vector<ExtraFile>& files,
                                              const std::filesystem::path& out);

}  // namespace wedge::image
