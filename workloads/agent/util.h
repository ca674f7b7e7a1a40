// Small allocation-free helpers shared by the agent's files: clocks, fd I/O, field decoding
// and text scanning. Nothing here may allocate: it runs on the agent's serving path.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace wedge::guest {

// Milliseconds on CLOCK_MONOTONIC (for deadlines).
int64_t monotonic_ms();
// Milliseconds on CLOCK_BOOTTIME (the uptime reported to the host; includes suspend).
uint64_t boottime_ms();
// Sleeps, resuming after signals.
void sleep_ms(int ms);

// Writes all of data to a blocking fd, retrying short writes and EINTR; false on error (errno).
bool write_all(int fd, const void* data, size_t len);

// Prints one line to stdout with write(2), no stdio buffer that could hold progress back; a
// line longer than 767 bytes is cut.
[[gnu::format(printf, 1, 2)]] void say(const char* format, ...);

// Reads a /proc file from offset 0 into buf (at most cap bytes) with pread, so one fd opened
// at start-up can be re-read forever. Returns the length, or -1 with errno.
ssize_t pread_whole(int fd, char* buf, size_t cap);

// Copies a field into dst as a NUL-terminated string; false if it does not fit or holds a NUL.
bool copy_cstr(char* dst, size_t cap, const uint8_t* src, size_t len);

// Decodes an 8-byte little-endian integer field; false if the field is not 8 bytes long.
bool field_u64(const uint8_t* data, uint32_t len, uint64_t* out);

// Finds a line starting with key (e.g. "VmRSS:") and returns the number after it; 0 if absent.
uint64_t number_after_key(const char* text, size_t len, const char* key);

// Parses a whole decimal string; false on anything else (empty, sign, junk, overflow).
bool parse_decimal(const char* s, uint64_t* out);

// True if s ends with suffix.
bool ends_with(const char* s, const char* suffix);

// errno's description without allocating ("No such file or directory").
const char* errno_text(int err);

}  // namespace wedge::guest
