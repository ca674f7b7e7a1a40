// Implementation of packages.h.
#include "vm-images/packages.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <set>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/text.h"
#include "vm-images/apt.h"
#include "vm-images/image_cache.h"
#include "vm-images/ldd.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Where the guest's loader looks without an ld.so.cache (Debian's multiarch dirs first).
constexpr std::string_view kLoaderDirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                            "/lib", "/usr/lib", "/lib64"};
constexpr std::string_view kDefaultLibDir = "/usr/lib/x86_64-linux-gnu";
// Where packages keep their programs.
constexpr std::string_view kBinDirs[] = {"bin", "sbin", "usr/bin", "usr/sbin"};

const std::vector<std::string> kAptDependsFlags = {
    "apt-cache",      "depends",     "--no-recommends", "--no-suggests",
    "--no-conflicts", "--no-breaks", "--no-replaces",   "--no-enhances"};

void report(const PackageProgress& progress, const std::string& line) {
  if (progress) progress(line);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "perl:any" -> "perl"; "<debconf-2.0>" -> "debconf-2.0" (virtual set).
std::string bare_name(std::string_view name, bool* is_virtual) {
  *is_virtual = name.size() >= 2 && name.front() == '<' && name.back() == '>';
  if (*is_virtual) name = name.substr(1, name.size() - 2);
  return std::string(name.substr(0, name.find(':')));
}

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// A library package by Debian's naming (policy 8.1: lib<soname>), or zlib's odd one.
bool is_library_package(std::string_view name) {
  return name.starts_with("lib") || name == "zlib1g";
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

Result<std::vector<std::string>> installed_on_host(const std::vector<std::string>& names) {
  if (names.empty()) return std::vector<std::string>{};
  std::vector<std::string> argv = {"dpkg-query", "-W", "-f", "${Package} ${Status}\\n"};
  argv.insert(argv.end(), names.begin(), names.end());
  // Exit 1 only says that some names are not installed.
  WEDGE_TRY(CommandOutput out, run_command(argv, 60s));
  if (out.status.signal != 0 || out.status.code > 1) {
    return make_error("dpkg-query failed ({}): {}", out.status.describe(), trim(out.err));
  }
  return parse_installed(out.out);
}

Result<std::vector<std::pair<std::string, std::vector<DependsGroup>>>> depends_of(
    const std::vector<std::string>& names) {
  std::vector<std::string> argv = kAptDependsFlags;
  argv.insert(argv.end(), names.begin(), names.end());
  WEDGE_TRY(CommandOutput out, run_command(argv, 60s));
  if (!out.status.success()) {
    return make_error("apt-cache depends {} failed ({}): {} (run apt-get update?)",
                      fmt::join(names, " "), out.status.describe(), apt_errors(out.err));
  }
  return parse_apt_depends(out.out);
}

Result<DebFile> deb_file_of(const std::string& name) {
  WEDGE_TRY(CommandOutput out, run_command({"apt-get", "download", "--print-uris", name}, 60s));
  if (!out.status.success()) {
    return make_error("apt-get download {} failed ({}): {} (run apt-get update?)", name,
                      out.status.describe(), apt_errors(out.err));
  }
  return parse_print_uris(out.out).context(fmt::format("apt-get download --print-uris {}", name));
}

// CACHE/packages/<deb without .deb>-<digest prefix>/root, made complete before it appears.
Result<fs::path> fetch_one(const std::string& name, const fs::path& dir,
                           const PackageProgress& progress) {
  WEDGE_TRY(DebFile deb, deb_file_of(name));
  std::string stem = deb.file.substr(0, deb.file.size() - 4);
  fs::path final_dir = dir / fmt::format("{}-{}", stem, deb.sha256.substr(0, 16));
  std::error_code ec;
  if (fs::is_directory(final_dir / "root", ec)) return final_dir / "root";
  WEDGE_TRY(TempDir work, TempDir::create(".fetch-" + stem, dir));
  report(progress, fmt::format("packages: downloading {}", deb.file));
  WEDGE_TRY(fs::path got, apt_download(name, work.path(), 600s));
  WEDGE_CHECK(run_checked({"dpkg-deb", "-x", got.string(), (work.path() / "root").string()}, 300s)
                  .context(fmt::format("unpacking {}", got.filename().string())));
  fs::remove(got, ec);
  if (::rename(work.path().c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    if (fs::is_directory(final_dir / "root", ec)) return final_dir / "root";  // a parallel fetch
    return errno_error(fmt::format("rename {} to {}", work.path().string(), final_dir.string()),
                       err);
  }
  return final_dir / "root";
}

bool is_under(const fs::path& path, const fs::path& root) {
  auto rel = path.lexically_normal().lexically_relative(root.lexically_normal());
  return !rel.empty() && *rel.begin() != ".." && !rel.is_absolute();
}

}  // namespace

std::vector<std::pair<std::string, std::vector<DependsGroup>>> parse_apt_depends(
    std::string_view text) {
  std::vector<std::pair<std::string, std::vector<DependsGroup>>> out;
  bool continues = false;      // the last dependency line began with '|'
  bool providers_for = false;  // the last dependency named a virtual package
  for (std::string_view raw : lines_of(text)) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    size_t indent = indent_of(raw);
    if (indent == 0) {
      bool ignored = false;
      out.emplace_back(bare_name(line, &ignored), std::vector<DependsGroup>{});
      continues = providers_for = false;
      continue;
    }
    if (out.empty()) continue;
    auto& groups = out.back().second;
    bool alternative = line.starts_with("|");
    if (alternative) line.remove_prefix(1);
    auto colon = line.find(": ");
    if (colon != std::string_view::npos && line.find(' ') == colon + 1) {
      std::string_view field = line.substr(0, colon);
      bool wanted = field == "Depends" || field == "PreDepends";
      if (!wanted) {
        continues = providers_for = false;
        continue;
      }
      bool is_virtual = false;
      std::string name = bare_name(trim(line.substr(colon + 2)), &is_virtual);
      if (!continues || groups.empty()) groups.emplace_back();
      if (!is_virtual && !name.empty()) groups.back().push_back(name);
      continues = alternative;
      providers_for = is_virtual;
      continue;
    }
    // A deeper line under a virtual package: one of its providers.
    if (providers_for && !groups.empty() && indent >= 4) {
      bool is_virtual = false;
      std::string name = bare_name(line, &is_virtual);
      if (!is_virtual && !name.empty() && !contains(groups.back(), name)) {
        groups.back().push_back(name);
      }
    }
  }
  return out;
}

std::vector<std::string> parse_installed(std::string_view text) {
  std::vector<std::string> names;
  for (std::string_view line : lines_of(text)) {
    line = trim(line);
    auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    if (line.substr(space + 1) == "install ok installed") {
      std::string_view name = line.substr(0, space);
      names.emplace_back(name.substr(0, name.find(':')));
    }
  }
  return names;
}

Result<DebFile> parse_print_uris(std::string_view text) {
  for (std::string_view line : lines_of(text)) {
    line = trim(line);
    if (!line.starts_with("'")) continue;
    auto close = line.find("' ");
    if (close == std::string_view::npos) continue;
    std::string_view rest = line.substr(close + 2);
    auto sp = rest.find(' ');
    std::string_view file = rest.substr(0, sp);
    auto hash_at = rest.find("SHA256:");
    if (!file.ends_with(".deb") || file.find('/') != std::string_view::npos ||
        file.starts_with(".") || hash_at == std::string_view::npos) {
      continue;
    }
    std::string_view hash = rest.substr(hash_at + 7);
    hash = hash.substr(0, hash.find(' '));
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      continue;
    }
    return DebFile{std::string(file), std::string(hash)};
  }
  return make_error("no .deb with a SHA256 in apt's answer");
}

Result<std::vector<UnpackedPackage>> fetch_packages(const std::vector<std::string>& names,
                                                    const fs::path& dir,
                                                    const PackageProgress& progress) {
  for (const std::string& name : names) {
    if (!is_debian_package_name(name)) return make_error("'{}' is not a Debian package name", name);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());
  remove_abandoned_temp_dirs(dir);

  // The closure: requested packages, then the library packages they depend on (transitively)
  // that the host lacks. A host-installed package's own dependencies are installed too.
  std::vector<std::string> wanted = names;
  std::vector<std::string> frontier = names;
  while (!frontier.empty()) {
    WEDGE_TRY(auto depends, depends_of(frontier).context("resolving package dependencies"));
    std::vector<std::string> candidates;
    for (const auto& [pkg, groups] : depends) {
      for (const DependsGroup& group : groups) {
        for (const std::string& alt : group) {
          if (!contains(candidates, alt)) candidates.push_back(alt);
        }
      }
    }
    WEDGE_TRY(std::vector<std::string> installed, installed_on_host(candidates));
    frontier.clear();
    for (const auto& [pkg, groups] : depends) {
      for (const DependsGroup& group : groups) {
        bool satisfied = std::any_of(group.begin(), group.end(), [&](const std::string& alt) {
          return contains(installed, alt) || contains(wanted, alt);
        });
        if (satisfied || group.empty() || !is_library_package(group.front())) continue;
        if (!is_debian_package_name(group.front())) continue;
        wanted.push_back(group.front());
        frontier.push_back(group.front());
      }
    }
  }

  std::vector<UnpackedPackage> out;
  for (const std::string& name : wanted) {
    auto root = fetch_one(name, dir, progress);
    if (!root) return root.error().context(fmt::format("package {}", name));
    out.push_back({name, *root, contains(names, name)});
  }
  return out;
}

std::pair<std::string, fs::path> place_library(const std::string& resolved,
                                               const std::vector<UnpackedPackage>& packages) {
  fs::path lib(resolved);
  for (const UnpackedPackage& p : packages) {
    if (!is_under(lib, p.root)) continue;
    std::string guest = normalise_guest_path(lib.lexically_relative(p.root).string());
    std::string dir = fs::path(guest).parent_path().string();
    bool loader_finds_it =
        std::find(std::begin(kLoaderDirs), std::end(kLoaderDirs), dir) != std::end(kLoaderDirs);
    if (!loader_finds_it && guest != kDynamicLoader) {
      guest = std::string(kDefaultLibDir) + "/" + lib.filename().string();
    }
    return {guest, lib};
  }
  return {normalise_guest_path(resolved), lib};
}

std::vector<fs::path> library_dirs(const std::vector<UnpackedPackage>& packages) {
  std::vector<fs::path> dirs;
  for (const UnpackedPackage& p : packages) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(p.root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.find(".so") == std::string::npos || it->is_directory(ec)) continue;
      fs::path parent = it->path().parent_path();
      if (std::find(dirs.begin(), dirs.end(), parent) == dirs.end()) dirs.push_back(parent);
    }
  }
  return dirs;
}

Result<std::vector<std::string>> add_package_programs(
    ImageTree& tree, const std::vector<UnpackedPackage>& packages) {
  std::vector<fs::path> lib_dirs = library_dirs(packages);
  std::vector<std::string> added;
  for (const UnpackedPackage& p : packages) {
    if (!p.requested) continue;
    for (std::string_view bin : kBinDirs) {
      std::error_code ec;
      fs::path dir = p.root / bin;
      if (!fs::is_directory(dir, ec)) continue;
      std::vector<fs::path> programs;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        // A link out of the root would copy a host file instead.
        if (entry.is_symlink(ec) && fs::read_symlink(entry.path(), ec).is_absolute()) continue;
        if (entry.is_regular_file(ec)) programs.push_back(entry.path());
      }
      std::sort(programs.begin(), programs.end());
      for (const fs::path& program : programs) {
        std::string guest = "/" + std::string(bin) + "/" + program.filename().string();
        WEDGE_CHECK(tree.add_host_file(guest, program, 0755));
        auto libs = shared_libraries(program, lib_dirs);
        if (!libs) {
          return libs.error().context(
              fmt::format("{} from package {} (its library is neither on the host nor in a "
                          "fetched package)",
                          guest, p.name));
        }
        for (const std::string& lib : *libs) {
          auto [guest_lib, host_lib] = place_library(lib, packages);
          WEDGE_CHECK(tree.add_host_file(guest_lib, host_lib, 0755));
        }
        added.push_back(guest);
      }
    }
  }
  return added;
}

}  // namespace wedge::image
