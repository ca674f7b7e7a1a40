// Where a kernel I/O error message says the error happened: the device, the sector and the
// operation of the failed request (block layer), the block the buffer layer lost, the inode
// and block ext4 was writing. Pure string parsing of one console line, linear time.
//
//   auto at = parse_io_error_site("I/O error, dev nbd0, sector 339712 op 0x1:(WRITE) ...");
//   // at->device == "nbd0", at->sector == 339712, at->op == "write"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wedge::detect {

struct IoErrorSite {
  std::string device;              // "nbd0"
  std::optional<uint64_t> sector;  // 512-byte sector of the failed request
  std::string op;                  // "write", "read", "" when not said
  std::optional<uint64_t> inode;   // the file's inode (ext4's end_bio warning)
  std::optional<uint64_t> block;   // filesystem / buffer block number
  bool operator==(const IoErrorSite&) const = default;
};

// One of:
//   "I/O error, dev nbd0, sector 339712 op 0x1:(WRITE) flags 0x4000 ..."
//   "Buffer I/O error on device nbd0, logical block 41984"
//   "EXT4-fs warning (device nbd0): ext4_end_bio:343: I/O error 10 writing to inode 12
//    starting block 42720)"
// with or without the printk timestamp; nullopt for any other line.
[[nodiscard]] std::optional<IoErrorSite> parse_io_error_site(std::string_view line);

// Fills what `into` lacks from `more` when both name the same device (later messages about
// one error add the inode or the sector). Returns true when `into` changed.
bool merge_io_error_site(IoErrorSite& into, const IoErrorSite& more);

}  // namespace wedge::detect
