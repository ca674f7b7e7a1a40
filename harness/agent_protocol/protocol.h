// The wedge guest-agent wire format, the one header shared by the agent (guest,
// workloads/agent) and harness/agent (host). Its own folder is the only part of harness/ the
// guest agent includes: header-only, libc only.
// A frame is a fixed 16-byte little-endian header followed by `length` payload bytes.
// A payload is a sequence of fields, each: u16 tag, u32 length, bytes.
// Everything here is allocation-free so the agent can use it on its critical path;
// the host must still treat every byte that comes from the guest as untrusted.
//
//   FieldWriter w(buf, sizeof buf);
//   w.put_u64(field::kUptimeMs, 1234);
//   size_t n = encode_frame(out, sizeof out, MsgType::kHeartbeat, seq, w.data(), w.size());
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wedge::agent_protocol {

inline constexpr uint32_t kMagic = 0x31474457;  // "WDG1" in little-endian byte order
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr uint32_t kMaxPayload = 64 * 1024;
// The virtio-serial port name the agent looks for (libvirt <target type='virtio' name=...>).
inline constexpr const char* kPortName = "org.wedge.agent.0";

enum class MsgType : uint16_t {
  // guest -> host
  kHello = 1,      // kernel release, agent version, uptime
  kHeartbeat = 2,  // every second: seq, uptime
  kSample = 3,     // raw /proc/meminfo, /proc/vmstat, /proc/pressure/{memory,io}, /proc/modules,
                   // and the files kWatch named (kWatched0 + slot: path, NUL, text)
  kStarted = 4,    // a job started: job id, pid
  kOutput = 5,     // a job's output bytes: job id, stream, data
  kExited = 6,     // a job ended: job id, exit code or signal
  kFailed = 7,     // a request could not be carried out: job id / request, errno, text
  kDone = 8,       // a request without output finished (sysrq, write-file): request id
  kLog = 9,        // the agent's own diagnostics: text
  kFile = 10,      // reply to kReadFile: request id, path, data (kOffset: where it starts)
  kTask = 11,      // reply to kScanTasks, one per matching task: request id, pid, comm,
                   // state, wchan, raw /proc/PID/stack text (kData)
  // host -> guest
  kExec = 100,       // run argv as job id (no shell)
  kSignal = 101,     // send a signal to a job's process group
  kSysrq = 102,      // write a key to /proc/sysrq-trigger
  kWriteFile = 103,  // write data to a path (sysctls, cgroup files) without forking
  kReadFile = 104,   // read up to 60 KiB of a path from kOffset (absent: 0) without forking.
                     // With kFilter: read the whole file from kOffset in the guest and send
                     // only the lines holding kFilter (up to 60 KiB of them; kNextOffset
                     // says where to go on when they did not all fit)
  kPoweroff = 105,   // sync and power off
  kPing = 106,       // request id; answered with kDone. Until the first host frame arrives,
                     // the agent repeats kHello with every heartbeat.
  kScanTasks = 107,  // request id, kText = task states to report ("DR"): one kTask per task,
                     // then kDone. Reads /proc without forking or allocating.
  kWatch = 108,      // request id, kPath repeated (at most kMaxWatched, each shorter than
                     // kMaxWatchedPath): files every kSample carries from now on (the workload
                     // cgroup's memory.*, the block device's inflight and stat), replacing the
                     // previous set. Opened once here, then re-read with pread. kDone, or
                     // kFailed naming the first path that did not open (the others are kept).
};

// kWatch bounds: a few small files (cgroup and sysfs counters).
inline constexpr size_t kMaxWatched = 8;
inline constexpr size_t kMaxWatchedPath = 128;   // bytes, the NUL included
inline constexpr size_t kMaxWatchedText = 1024;  // bytes of each file a sample carries

namespace field {
enum : uint16_t {
  kUptimeMs = 1,
  kSeq = 2,
  kKernelRelease = 3,
  kAgentVersion = 4,
  kMeminfo = 5,
  kVmstat = 6,
  kPsiMemory = 7,
  kPsiIo = 8,
  kJobId = 9,
  kPid = 10,
  kStream = 11,  // 1 stdout, 2 stderr
  kData = 12,
  kExitCode = 13,
  kSignal = 14,
  kErrno = 15,
  kText = 16,
  kArg = 17,  // repeated: one per argv element, in order
  kEnv = 18,  // repeated: NAME=value
  kKey = 19,  // sysrq key
  kPath = 20,
  kRequestId = 21,
  kCwd = 22,
  kMemlockedKb = 23,  // the agent's own VmLck
  kRssKb = 24,        // the agent's own VmRSS
  kState = 25,        // one task-state letter ("D", "R", ...)
  kComm = 26,         // task name (/proc/PID/comm)
  kWchan = 27,        // /proc/PID/wchan
  kOffset = 28,       // kReadFile: byte offset to read from (absent: 0), echoed in kFile
  kFilter = 29,       // kReadFile: only lines holding these bytes; echoed in kFile
  kNextOffset = 30,   // kFile of a filtered read that filled up: offset of the first line
                      // not sent (absent: the end of the file was reached)
  kModules = 31,      // kSample: raw /proc/modules (the host refetches module symbols when
                      // the set of modules changes)
  kWatched0 = 32,     // kSample: watched file in slot 0 (kWatched0 + i for slot i, up to
                      // kMaxWatched): its path, a NUL, then up to kMaxWatchedText of its text
};
}  // namespace field

struct FrameHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t type;
  uint32_t length;  // payload bytes
  uint32_t seq;     // per-sender sequence number
};
static_assert(sizeof(FrameHeader) == kHeaderSize);

inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline uint16_t load_u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Writes a header into out (kHeaderSize bytes).
inline void encode_header(uint8_t* out, MsgType type, uint32_t seq, uint32_t length) {
  store_u32(out, kMagic);
  store_u16(out + 4, kVersion);
  store_u16(out + 6, static_cast<uint16_t>(type));
  store_u32(out + 8, length);
  store_u32(out + 12, seq);
}

// Parses a header from 16 bytes; false if magic, version or length are wrong.
inline bool decode_header(const uint8_t* in, FrameHeader* h) {
  h->magic = load_u32(in);
  h->version = load_u16(in + 4);
  h->type = load_u16(in + 6);
  h->length = load_u32(in + 8);
  h->seq = load_u32(in + 12);
  return h->magic == kMagic && h->version == kVersion && h->length <= kMaxPayload;
}

// Appends fields to a caller-owned buffer; sets overflow instead of writing past the end.
class FieldWriter {
 public:
  FieldWriter(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}
  void put_bytes(uint16_t tag, const void* data, size_t len) {
    if (overflow_ || len > kMaxPayload || size_ + 6 + len > cap_) {
      overflow_ = true;
      return;
    }
    store_u16(buf_ + size_, tag);
    store_u32(buf_ + size_ + 2, static_cast<uint32_t>(len));
    if (len) std::memcpy(buf_ + size_ + 6, data, len);
    size_ += 6 + len;
  }
  void put_str(uint16_t tag, const char* s) { put_bytes(tag, s, std::strlen(s)); }
  void put_u64(uint16_t tag, uint64_t v) {
    uint8_t tmp[8];
    store_u64(tmp, v);
    put_bytes(tag, tmp, 8);
  }
  void put_i64(uint16_t tag, int64_t v) { put_u64(tag, static_cast<uint64_t>(v)); }
  [[nodiscard]] const uint8_t* data() const { return buf_; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool overflow() const { return overflow_; }
  void clear() {
    size_ = 0;
    overflow_ = false;
  }

 private:
  uint8_t* buf_;
  size_t cap_;
  size_t size_ = 0;
  bool overflow_ = false;
};

// Walks the fields of a payload with bounds checks: while (r.next(&tag, &p, &len)) {...}
// After the loop, malformed() tells whether the payload ended mid-field.
class FieldReader {
 public:
  FieldReader(const uint8_t* buf, size_t len) : buf_(buf), len_(len) {}
  bool next(uint16_t* tag, const uint8_t** data, uint32_t* len) {
    if (pos_ == len_) return false;
    if (len_ - pos_ < 6) {
      malformed_ = true;
      return false;
    }
    uint16_t t = load_u16(buf_ + pos_);
    uint32_t l = load_u32(buf_ + pos_ + 2);
    if (l > len_ - pos_ - 6) {
      malformed_ = true;
      return false;
    }
    *tag = t;
    *data = buf_ + pos_ + 6;
    *len = l;
    pos_ += 6 + l;
    return true;
  }
  [[nodiscard]] bool malformed() const { return malformed_; }

 private:
  const uint8_t* buf_;
  size_t len_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

}  // namespace wedge::agent_protocol
