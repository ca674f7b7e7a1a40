// Debian packages in the guest ([guest] packages): fetched with apt-get download into the cache,
// unpacked with dpkg-deb -x, and their executables put into the image with their library closure.
//
//   WEDGE_TRY(std::vector<UnpackedPackage> pkgs, fetch_packages({"fio"}, cache / "packages", p));
//   WEDGE_CHECK(add_package_programs(tree, pkgs));   // /usr/bin/fio and every library it loads
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/util/result.h"
#include "vm-images/image_tree.h"

namespace wedge::image {

// One alternative group of a Depends line ("a | b"), as apt-cache depends prints it.
using DependsGroup = std::vector<std::string>;

// Parses `apt-cache depends --no-recommends ... PKG` output into the Depends and PreDepends
// groups of each package, in order. Virtual packages ("<debconf-2.0>") stand for the providers
// apt lists under them (none listed: the group keeps no name); ":any" qualifiers are dropped.
[[nodiscard]] std::vector<std::pair<std::string, std::vector<DependsGroup>>> parse_apt_depends(
    std::string_view text);

// Names from `dpkg-query -W -f '${Package} ${Status}\n'` output that are installed.
[[nodiscard]] std::vector<std::string> parse_installed(std::string_view text);

// The package file apt would download: "fio_3.33-3_amd64.deb" and its SHA256, from
// `apt-get download --print-uris` output ("'URI' FILE SIZE SHA256:HEX").
struct DebFile {
  std::string file;
  std::string sha256;
};
[[nodiscard]] Result<DebFile> parse_print_uris(std::string_view text);

struct UnpackedPackage {
  std::string name;
  std::filesystem::path root;  // what dpkg-deb -x wrote
  bool requested = false;      // named by the scenario (its programs go in the image)
};

using PackageProgress = std::function<void(const std::string&)>;

// Fetches (or finds in dir, by .deb name and digest) each named package plus the library
// packages of its Depends closure that the host does not have installed (the host's own
// libraries serve the rest, found by ldd). apt's message is in the error when apt fails.
[[nodiscard]] Result<std::vector<UnpackedPackage>> fetch_packages(
    const std::vector<std::string>& names, const std::filesystem::path& dir,
    const PackageProgress& progress = {});

// Where a library ldd resolved goes in the guest and where its content comes from on the host:
// a library inside an unpacked root keeps its path below the root (moved to the loader's
// default directory when it sits elsewhere: the guest has no ld.so.cache); a host library
// keeps its host path.
[[nodiscard]] std::pair<std::string, std::filesystem::path> place_library(
    const std::string& resolved, const std::vector<UnpackedPackage>& packages);

// The directories under the unpacked roots that hold shared objects (for LD_LIBRARY_PATH).
[[nodiscard]] std::vector<std::filesystem::path> library_dirs(
    const std::vector<UnpackedPackage>& packages);

// Adds every executable in the requested packages' bin and sbin directories at its packaged
// path, with its shared-library closure (place_library). Returns the guest paths added.
[[nodiscard]] Result<std::vector<std::string>> add_package_programs(
    ImageTree& tree, const std::vector<UnpackedPackage>& packages);

}  // namespace wedge::image
