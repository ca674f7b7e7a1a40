// File helpers: whole-file reads, atomic writes (write to a temp file, fsync, rename),
// and move-only owners for file descriptors and temporary directories.
//
//   WEDGE_CHECK(write_file_atomic(run_dir / "report.json", json));
//   WEDGE_TRY(std::string text, read_file("/proc/meminfo"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge {

[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path);

// Replaces path's content so that readers see either the old or the new file, never a mix.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Creates path as a sparse file of size bytes (or resizes an existing one): export images.
[[nodiscard]] Status create_sparse_file(const std::filesystem::path& path, uint64_t size);

// Creates path (mode 0600) with all size bytes allocated (posix_fallocate: no holes, no data
// written): swap files, which the kernel refuses when sparse.
[[nodiscard]] Status create_allocated_file(const std::filesystem::path& path, uint64_t size);

// Appends data to path (creating it); used for line-oriented logs.
[[nodiscard]] Status append_file(const std::filesystem::path& path, std::string_view data);

// Owns a file descriptor and closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A directory that is removed, with its contents, when the owner goes away.
class TempDir {
 public:
  // Creates a fresh directory under parent (default: the system temp dir) named prefix-XXXXXX.
  [[nodiscard]] static Result<TempDir> create(std::string_view prefix,
                                              const std::filesystem::path& parent = {});
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace wedge
