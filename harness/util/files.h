// File helpers: whole-file reads, atomic writes (an unnamed temp file, fsync, then a name),
// exclusive creation that never follows a symlink planted at the path, and move-only owners
// for file descriptors and temporary directories.
//
//   WEDGE_CHECK(write_file_atomic(run_dir / "report.json", json));
//   WEDGE_TRY(std::string text, read_file("/proc/meminfo"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "harness/util/owner.h"
#include "harness/util/result.h"

namespace wedge {

[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path);

// Replaces path's content so that readers see either the old or the new file, never a mix.
// The data is written to an unnamed file (O_TMPFILE) that gets a name only once complete, so a
// write cut short (an error, even SIGKILL) leaves no temp file behind. A symlink at path is
// replaced, never followed.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Creates path as a new sparse file of size bytes, mode 0600 (export images hold the guest's
// memory). Exclusive: fails if anything, a file or a symlink, is already at path, so a file
// planted in a run directory is never grown or exported.
[[nodiscard]] Status create_sparse_file(const std::filesystem::path& path, uint64_t size);

// Creates path (mode 0600) with all size bytes allocated (posix_fallocate: no holes, no data
// written): swap files, which the kernel refuses when sparse. Exclusive like create_sparse_file.
[[nodiscard]] Status create_allocated_file(const std::filesystem::path& path, uint64_t size);

// Appends data to path (creating it, mode 0644); never follows a symlink at path.
[[nodiscard]] Status append_file(const std::filesystem::path& path, std::string_view data);

// Creates path with data, failing if anything (a file, a symlink) is already there.
[[nodiscard]] Status create_file_exclusive(const std::filesystem::path& path, std::string_view data,
                                           unsigned mode = 0644);

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
  // Creates a fresh directory under parent (default: the system temp dir) named
  // prefix.PID.START-XXXXXX: the owner's pid and start time, so `wedge gc` can tell a dead
  // wedge's leftover from a live one's (owner_of_temp_name).
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

// The owner encoded in a TempDir's name ("wedge-cmd.4242.1234567-aB3dEf"), if it has one.
[[nodiscard]] std::optional<Owner> owner_of_temp_name(std::string_view name);

}  // namespace wedge
