// The file tree of a guest image before it becomes a cpio archive: guest paths mapped to
// entries, parents created implicitly, iterated in an order that puts parents first.
//
//   ImageTree tree;
//   WEDGE_CHECK(tree.add_host_file("/usr/sbin/nbd-client", "/usr/sbin/nbd-client", 0755));
//   tree.add_bytes("/etc/hostname", "wedge\n");
//   WEDGE_CHECK(write_cpio(out, tree.entries()));
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "vm-images/cpio.h"

namespace wedge::image {

class ImageTree {
 public:
  // Each add replaces an entry already at path (apart from directories, which merge).
  void add_directory(const std::string& path, uint32_t mode = 0755);
  // Copies host (following symlinks) to path. Fails when host is not a regular file.
  [[nodiscard]] Status add_host_file(const std::string& path, const std::filesystem::path& host,
                                     uint32_t mode);
  void add_bytes(const std::string& path, std::string data, uint32_t mode = 0644);
  void add_symlink(const std::string& path, std::string target);
  void add_char_device(const std::string& path, uint32_t mode, uint32_t major, uint32_t minor);

  [[nodiscard]] bool contains(const std::string& path) const;
  // Entries sorted by path, so that every directory comes before what it holds.
  [[nodiscard]] std::vector<CpioEntry> entries() const;
  // Sum of the sizes of the regular files (what the guest keeps in RAM as its rootfs).
  [[nodiscard]] uint64_t file_bytes() const;

 private:
  void add(CpioEntry entry, uint64_t size);
  void add_parents(const std::string& path);

  struct Node {
    CpioEntry entry;
    uint64_t size = 0;
  };
  std::map<std::string, Node> nodes_;
};

// "/usr//bin/../sbin/x" -> "/usr/sbin/x"; guest paths are kept in this form.
std::string normalise_guest_path(const std::string& path);

}  // namespace wedge::image
