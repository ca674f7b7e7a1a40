// Implementation of image_tree.h.
#include "vm-images/image_tree.h"

namespace wedge::image {

namespace fs = std::filesystem;

std::string normalise_guest_path(const std::string& path) {
  std::string norm = fs::path("/" + path).lexically_normal().string();
  while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
  return norm;
}

void ImageTree::add_parents(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  while (!parent.empty() && parent != "/") {
    std::string p = parent.string();
    if (nodes_.contains(p)) break;  // its parents are there already
    nodes_[p] = Node{CpioEntry::directory(p), 0};
    parent = parent.parent_path();
  }
}

void ImageTree::add(CpioEntry entry, uint64_t size) {
  entry.path = normalise_guest_path(entry.path);
  add_parents(entry.path);
  std::string key = entry.path;
  nodes_[key] = Node{std::move(entry), size};
}

void ImageTree::add_directory(const std::string& path, uint32_t mode) {
  add(CpioEntry::directory(path, mode), 0);
}

Status ImageTree::add_host_file(const std::string& path, const fs::path& host, uint32_t mode) {
  std::error_code ec;
  if (!fs::is_regular_file(host, ec)) {
    return make_error("{} (for {} in the image) is not a regular file", host.string(), path);
  }
  uint64_t size = fs::file_size(host, ec);
  if (ec) return make_error("{}: {}", host.string(), ec.message());
  add(CpioEntry::file_from_host(path, host, mode), size);
  return ok_status();
}

void ImageTree::add_bytes(const std::string& path, std::string data, uint32_t mode) {
  uint64_t size = data.size();
  add(CpioEntry::file_from_bytes(path, std::move(data), mode), size);
}

void ImageTree::add_symlink(const std::string& path, std::string target) {
  add(CpioEntry::symlink(path, std::move(target)), 0);
}

void ImageTree::add_char_device(const std::string& path, uint32_t mode, uint32_t major,
                                uint32_t minor) {
  add(CpioEntry::char_device(path, mode, major, minor), 0);
}

bool ImageTree::contains(const std::string& path) const {
  return nodes_.contains(normalise_guest_path(path));
}

std::vector<CpioEntry> ImageTree::entries() const {
  // std::map order already puts "/a" before "/a/b": a path sorts after its own prefix.
  std::vector<CpioEntry> out;
  out.reserve(nodes_.size());
  for (const auto& [path, node] : nodes_) out.push_back(node.entry);
  return out;
}

uint64_t ImageTree::file_bytes() const {
  uint64_t total = 0;
  for (const auto& [path, node] : nodes_) total += node.size;
  return total;
}

}  // namespace wedge::image
