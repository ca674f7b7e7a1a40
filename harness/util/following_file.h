// Reads a log file that another process keeps appending to, the way `tail -F` follows it:
// each call returns what is new since the last one, follows the file when it is rotated
// (renamed away and a new one created at the same path, as virtlogd does at its max_size)
// after draining the old one, and starts over when it is truncated.
//
//   FollowingFile console(run_dir / "console.log");
//   WEDGE_TRY(std::string fresh, console.read(4 << 20));   // "" until the file exists
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge {

class FollowingFile {
 public:
  explicit FollowingFile(std::filesystem::path path) : path_(std::move(path)) {}

  // Up to max_bytes of new content ("" when there is none or the file does not exist yet).
  [[nodiscard]] Result<std::string> read(size_t max_bytes);

  // How often the file was replaced by a new one since the first read.
  [[nodiscard]] uint64_t rotations() const { return rotations_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  off_t offset_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace wedge
