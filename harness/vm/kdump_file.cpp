// Implementation of kdump_file.h.
#include "harness/vm/kdump_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "harness/util/files.h"

namespace wedge::vm {

namespace {

constexpr int64_t kEndFlag = -1;
constexpr size_t kCopyChunk = 1 << 20;

// Reads exactly size bytes; false at a clean EOF before the first byte.
Result<bool> read_exact(int fd, char* buf, size_t size, uint64_t& position) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, buf + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", errno);
    }
    if (n == 0) {
      if (got == 0) return false;
      return make_error("truncated at byte {}", position + got);
    }
    got += static_cast<size_t>(n);
  }
  position += size;
  return true;
}

int64_t big_endian_64(const char* bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(value);
}

Status write_exact(int fd, const char* data, size_t size, int64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, offset + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", errno);
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status copy_records(int in, int out) {
  uint64_t position = 0;
  std::vector<char> header(kFlatHeaderSize);
  WEDGE_TRY(bool any, read_exact(in, header.data(), header.size(), position));
  if (!any || detect_dump_format({header.data(), header.size()}) != DumpFormat::kFlattened) {
    return make_error("not a flattened makedumpfile stream");
  }
  std::vector<char> chunk(kCopyChunk);
  while (true) {
    char record[16];
    const uint64_t record_at = position;
    WEDGE_TRY(bool more, read_exact(in, record, sizeof record, position));
    if (!more) return make_error("ends at byte {} without its end record (truncated?)", position);
    int64_t offset = big_endian_64(record);
    int64_t size = big_endian_64(record + 8);
    if (offset == kEndFlag) return ok_status();
    if (offset < 0 || size < 0) {
      return make_error("bad record at byte {}: offset {}, size {}", record_at, offset, size);
    }
    while (size > 0) {
      size_t n = static_cast<size_t>(std::min<int64_t>(size, static_cast<int64_t>(chunk.size())));
      WEDGE_TRY(bool got, read_exact(in, chunk.data(), n, position));
      if (!got) return make_error("truncated at byte {}", position);
      WEDGE_CHECK(write_exact(out, chunk.data(), n, offset));
      offset += static_cast<int64_t>(n);
      size -= static_cast<int64_t>(n);
    }
  }
}

}  // namespace

DumpFormat detect_dump_format(std::string_view head) {
  if (head.starts_with(kKdumpSignature)) return DumpFormat::kKdump;
  if (head.starts_with(kFlatSignature)) return DumpFormat::kFlattened;
  return DumpFormat::kUnknown;
}

Status unflatten_kdump(const std::filesystem::path& flat, const std::filesystem::path& out) {
  const std::string what = fmt::format("unflattening {} into {}", flat.string(), out.string());
  UniqueFd in(::open(flat.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return errno_error(what, errno);
  UniqueFd dst(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!dst.valid()) return errno_error(what, errno);
  Status copied = copy_records(in.get(), dst.get());
  if (copied && ::close(dst.release()) != 0) copied = errno_error("close", errno);
  if (!copied) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    return copied.error().context(what);
  }
  return ok_status();
}

}  // namespace wedge::vm
