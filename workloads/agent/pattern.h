// The data pattern every verifying writer uses: each 8-byte word is a function of (file,
// offset, pass) alone, so any block can be checked on its own, a block from another file or
// offset is caught, and no word is zero (a hole or a zero-filled page is caught too).
// Header-only and allocation-free: the static agent and the host's unit tests share it.
//
//   uint64_t id = pattern_file_id("large-file");
//   pattern_fill(buf, len, id, offset, /*pass=*/0);
//   int64_t bad = pattern_first_mismatch(buf, len, id, offset, 0);   // -1: all good
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wedge::guest {

// FNV-1a of the file's name (not its path: a remount elsewhere still verifies).
inline uint64_t pattern_file_id(const char* name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char* p = name; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ULL;
  return h;
}

// splitmix64 finaliser over the three inputs; offset is the word's byte offset (multiple of 8).
inline uint64_t pattern_word(uint64_t file_id, uint64_t offset, uint64_t pass) {
  uint64_t z = file_id ^ (offset * 0x9E3779B97F4A7C15ULL) ^ (pass << 56);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z ? z : 0x5745444745ULL;
}

// Fills len bytes (a multiple of 8) that belong at offset (a multiple of 8) in the file.
inline void pattern_fill(void* buf, size_t len, uint64_t file_id, uint64_t offset, uint64_t pass) {
  auto* bytes = static_cast<unsigned char*>(buf);
  for (size_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w = pattern_word(file_id, offset + i, pass);
    std::memcpy(bytes + i, &w, 8);
  }
}

// Byte index in buf of the first word that is not the pattern, or -1.
inline int64_t pattern_first_mismatch(const void* buf, size_t len, uint64_t file_id,
                                      uint64_t offset, uint64_t pass) {
  const auto* bytes = static_cast<const unsigned char*>(buf);
  for (size_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes + i, 8);
    if (w != pattern_word(file_id, offset + i, pass)) return static_cast<int64_t>(i);
  }
  return -1;
}

// How many bytes from `from` on (a multiple of 8) are wrong in a row, whole 4 KiB blocks
// counted: the length a data_loss finding reports.
inline size_t pattern_bad_run(const void* buf, size_t len, size_t from, uint64_t file_id,
                              uint64_t offset, uint64_t pass) {
  size_t start = from & ~static_cast<size_t>(4095);
  size_t end = start;
  while (end < len) {
    size_t block = len - end < 4096 ? len - end : 4096;
    const auto* bytes = static_cast<const unsigned char*>(buf) + end;
    if (pattern_first_mismatch(bytes, block, file_id, offset + end, pass) < 0) break;
    end += block;
  }
  return end - start;
}

}  // namespace wedge::guest
