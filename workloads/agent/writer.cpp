// Implementation of writer.h: shares of the data per writer process, a write round (buffered
// pwrite of pattern chunks, then fsync), optional pause and remount, a verify round; the parent
// sums the writers' counters (shared memory) into progress lines.
#include "workloads/agent/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "workloads/agent/pattern.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {

constexpr uint64_t kChunk = 1 << 20;
constexpr int kMaxWriters = 64;
constexpr int kMaxFindings = 8;  // per writer and round: enough to locate, not to flood

constexpr const char* kUsage =
    "usage: wedge-agent write --dir DIR --mib N [--writers W] [--same-file] [--verify]\n"
    "                         [--pause-s S] [--remount [--device DEV --fs TYPE\n"
    "                         [--mount-options OPTS]]]\n"
    "  W processes write N MiB in total into DIR (one file each, or interleaved 1 MiB\n"
    "  regions of one file with --same-file), fsync, then with --verify read it all back\n"
    "  after dropping the page cache (and remounting DIR with --remount).\n"
    "  Exit: 0 ok, 2 usage, 3 data read back wrong, 4 an I/O error, 5 remount failed.\n";

struct Options {
  const char* dir = nullptr;
  uint64_t mib = 0;
  uint64_t writers = 1;
  bool same_file = false;
  bool verify = false;
  uint64_t pause_s = 0;
  bool remount = false;
  const char* device = nullptr;
  const char* fs = nullptr;
  const char* mount_options = "";
};

// One writer's share of the data: chunks first, first + stride, ... of one file.
struct Share {
  char path[512];
  const char* name;  // the file's name within dir (pattern_file_id)
  uint64_t first = 0;
  uint64_t stride = 1;
  uint64_t chunks = 0;
  bool truncate = false;
};

using ull = unsigned long long;

void io_error(const Share& s, const char* syscall, int err, uint64_t offset, uint64_t length) {
  say("finding io_error file=%s offset=%llu length=%llu syscall=%s errno=%d\n", s.path,
      static_cast<ull>(offset), static_cast<ull>(length), syscall, err);
}

void data_loss(const Share& s, const char* what, uint64_t offset, uint64_t length) {
  say("finding data_loss file=%s offset=%llu length=%llu what=%s\n", s.path,
      static_cast<ull>(offset), static_cast<ull>(length), what);
}

int write_share(const Share& s, char* buf, uint64_t* done) {
  int fd = open(s.path, O_WRONLY | O_CREAT | (s.truncate ? O_TRUNC : 0) | O_CLOEXEC, 0644);
  if (fd < 0) {
    io_error(s, "open", errno, 0, 0);
    return 4;
  }
  // The inode, so the host can name this file when the kernel reports a writeback error on
  // it by inode only (the error comes long after the write() that dirtied the page returned).
  if (struct stat st; fstat(fd, &st) == 0) {
    say("file path=%s inode=%llu\n", s.path, static_cast<ull>(st.st_ino));
  }
  const uint64_t id = pattern_file_id(s.name);
  for (uint64_t k = 0; k < s.chunks; ++k) {
    uint64_t offset = (s.first + k * s.stride) * kChunk;
    pattern_fill(buf, kChunk, id, offset, 0);
    for (uint64_t put = 0; put < kChunk;) {
      ssize_t n = pwrite(fd, buf + put, kChunk - put, static_cast<off_t>(offset + put));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        io_error(s, "write", n < 0 ? errno : ENOSPC, offset + put, kChunk - put);
        close(fd);
        return 4;
      }
      put += static_cast<uint64_t>(n);
    }
    __atomic_fetch_add(done, kChunk, __ATOMIC_RELAXED);
  }
  if (fsync(fd) != 0) {
    io_error(s, "fsync", errno, 0, s.chunks * kChunk);
    close(fd);
    return 4;
  }
  if (close(fd) != 0) {
    io_error(s, "close", errno, 0, s.chunks * kChunk);
    return 4;
  }
  return 0;
}

int verify_share(const Share& s, char* buf, uint64_t* done) {
  int fd = open(s.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    io_error(s, "open", errno, 0, 0);
    return 4;
  }
  const uint64_t id = pattern_file_id(s.name);
  int result = 0, reported = 0;
  for (uint64_t k = 0; k < s.chunks; ++k) {
    uint64_t offset = (s.first + k * s.stride) * kChunk;
    uint64_t got = 0;
    int err = 0;
    while (got < kChunk) {
      ssize_t n = pread(fd, buf + got, kChunk - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) err = errno;
      if (n <= 0) break;
      got += static_cast<uint64_t>(n);
    }
    if (err != 0) {
      if (reported++ < kMaxFindings) io_error(s, "read", err, offset + got, kChunk - got);
      result = 4;
    } else if (got < kChunk) {
      if (reported++ < kMaxFindings) data_loss(s, "short_read", offset + got, kChunk - got);
      if (result == 0) result = 3;
    }
    for (uint64_t pos = 0; pos + 8 <= got;) {
      int64_t bad = pattern_first_mismatch(buf + pos, got - pos, id, offset + pos, 0);
      if (bad < 0) break;
      size_t at = pos + static_cast<size_t>(bad);
      size_t run = pattern_bad_run(buf, got, at, id, offset, 0);
      uint64_t start = at & ~static_cast<uint64_t>(4095);
      if (reported++ < kMaxFindings) data_loss(s, "mismatch", offset + start, run);
      if (result == 0) result = 3;
      pos = start + (run ? run : 4096);
    }
    __atomic_fetch_add(done, kChunk, __ATOMIC_RELAXED);
  }
  close(fd);
  return result;
}

// Where the file's data sits on the device, for whoever wants to tamper with it from outside
// (tests corrupt the host's export there): "extent FILE LOGICAL PHYSICAL LENGTH".
void print_extents(const Share& s) {
  int fd = open(s.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  constexpr unsigned kExtents = 16;
  alignas(struct fiemap) char
      space[sizeof(struct fiemap) + kExtents * sizeof(struct fiemap_extent)] = {};
  auto* map = reinterpret_cast<struct fiemap*>(space);
  map->fm_length = ~0ULL;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = kExtents;
  if (ioctl(fd, FS_IOC_FIEMAP, map) == 0) {
    for (unsigned i = 0; i < map->fm_mapped_extents; ++i) {
      const struct fiemap_extent& e = map->fm_extents[i];
      say("extent %s %llu %llu %llu\n", s.path, static_cast<ull>(e.fe_logical),
          static_cast<ull>(e.fe_physical), static_cast<ull>(e.fe_length));
    }
  }
  close(fd);
}

// "sync,noatime,foo=1": flags mount(2) takes as bits, the rest as the fs's data string.
unsigned long mount_flags(const char* options, char* data, size_t cap) {
  unsigned long flags = 0;
  data[0] = '\0';
  char copy[256];
  snprintf(copy, sizeof copy, "%s", options);
  for (char *save = nullptr, *opt = strtok_r(copy, ",", &save); opt;
       opt = strtok_r(nullptr, ",", &save)) {
    if (strcmp(opt, "sync") == 0) {
      flags |= MS_SYNCHRONOUS;
    } else if (strcmp(opt, "dirsync") == 0) {
      flags |= MS_DIRSYNC;
    } else if (strcmp(opt, "noatime") == 0) {
      flags |= MS_NOATIME;
    } else if (strlen(data) + strlen(opt) + 2 < cap) {
      if (data[0]) strcat(data, ",");
      strcat(data, opt);
    }
  }
  return flags;
}

// Makes the read-back come from the storage, not from memory.
int drop_page_cache(const Options& o) {
  sync();
  if (o.remount && o.device) {
    if (umount2(o.dir, 0) != 0) {
      dprintf(STDERR_FILENO, "wedge-agent write: umount %s: %s\n", o.dir, errno_text(errno));
      return 5;
    }
    char data[256];
    unsigned long flags = mount_flags(o.mount_options, data, sizeof data);
    if (mount(o.device, o.dir, o.fs, flags, data[0] ? data : nullptr) != 0) {
      dprintf(STDERR_FILENO, "wedge-agent write: mount %s: %s\n", o.device, errno_text(errno));
      return 5;
    }
    say("remounted %s\n", o.dir);
  }
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)write_all(fd, "3", 1);
    close(fd);
  }
  return 0;
}

using Work = int (*)(const Share&, char*, uint64_t*);

// Forks one process per share running work; prints progress every 500 ms until all exited.
// Returns the worst exit code (4 over 3 over 0).
int run_round(const Share* shares, uint64_t n, Work work, uint64_t* done, uint64_t base_mib,
              uint64_t total_mib, uint64_t round_bytes, const char* phase, const char* full_phase) {
  for (uint64_t i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      dprintf(STDERR_FILENO, "wedge-agent write: fork: %s\n", errno_text(errno));
      return 4;
    }
    if (pid == 0) {
      char* buf = static_cast<char*>(malloc(kChunk));
      _exit(buf ? work(shares[i], buf, &done[i]) : 4);
    }
  }
  int worst = 0;
  for (uint64_t running = n; running > 0;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      running--;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 4;
      if (code > worst) worst = code;
      continue;
    }
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < n; ++i) bytes += __atomic_load_n(&done[i], __ATOMIC_RELAXED);
    say("progress %llu %llu MiB %s\n", static_cast<ull>(base_mib + bytes / kChunk),
        static_cast<ull>(total_mib), bytes >= round_bytes && full_phase ? full_phase : phase);
    sleep_ms(500);
  }
  return worst;
}

int usage_error(const char* why) {
  dprintf(STDERR_FILENO, "wedge-agent write: %s\n%s", why, kUsage);
  return 2;
}

bool parse_options(int argc, char** argv, Options* o) {
  for (int i = 0; i < argc; ++i) {
    const char* a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--dir") == 0 && has_value) {
      o->dir = argv[++i];
    } else if (strcmp(a, "--mib") == 0 && has_value) {
      if (!parse_decimal(argv[++i], &o->mib)) return false;
    } else if (strcmp(a, "--writers") == 0 && has_value) {
      if (!parse_decimal(argv[++i], &o->writers)) return false;
    } else if (strcmp(a, "--pause-s") == 0 && has_value) {
      if (!parse_decimal(argv[++i], &o->pause_s)) return false;
    } else if (strcmp(a, "--device") == 0 && has_value) {
      o->device = argv[++i];
    } else if (strcmp(a, "--fs") == 0 && has_value) {
      o->fs = argv[++i];
    } else if (strcmp(a, "--mount-options") == 0 && has_value) {
      o->mount_options = argv[++i];
    } else if (strcmp(a, "--same-file") == 0) {
      o->same_file = true;
    } else if (strcmp(a, "--verify") == 0) {
      o->verify = true;
    } else if (strcmp(a, "--remount") == 0) {
      o->remount = true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int writer_main(int argc, char** argv) {
  if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
    (void)write_all(STDOUT_FILENO, kUsage, strlen(kUsage));
    return 0;
  }
  Options o;
  if (!parse_options(argc, argv, &o)) return usage_error("bad arguments");
  if (!o.dir || o.mib == 0) return usage_error("--dir and --mib are required");
  if (o.writers == 0 || o.writers > kMaxWriters || o.writers > o.mib) {
    return usage_error("--writers must be 1..64 and at most --mib");
  }
  if (o.device && !o.fs) return usage_error("--device needs --fs");

  static Share shares[kMaxWriters];
  const uint64_t per_writer = o.same_file ? 0 : o.mib / o.writers;
  for (uint64_t i = 0; i < o.writers; ++i) {
    Share& s = shares[i];
    if (o.same_file) {
      s.name = "shared-file";
      s.first = i;
      s.stride = o.writers;
      s.chunks = (o.mib - i + o.writers - 1) / o.writers;
    } else {
      static char names[kMaxWriters][32];
      if (o.writers == 1) {
        snprintf(names[i], sizeof names[i], "large-file");
      } else {
        snprintf(names[i], sizeof names[i], "writer-%llu", static_cast<ull>(i));
      }
      s.name = names[i];
      s.chunks = per_writer;
      s.truncate = true;
    }
    snprintf(s.path, sizeof s.path, "%s/%s", o.dir, s.name);
  }
  if (o.same_file) {
    int fd = open(shares[0].path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || close(fd) != 0) {
      io_error(shares[0], "open", errno, 0, 0);
      return 4;
    }
  }
  uint64_t mib = 0;
  for (uint64_t i = 0; i < o.writers; ++i) mib += shares[i].chunks;
  const uint64_t total = o.verify ? 2 * mib : mib;

  auto* done =
      static_cast<uint64_t*>(mmap(nullptr, sizeof(uint64_t) * kMaxWriters, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (done == MAP_FAILED) {
    dprintf(STDERR_FILENO, "wedge-agent write: mmap: %s\n", errno_text(errno));
    return 4;
  }
  int code =
      run_round(shares, o.writers, write_share, done, 0, total, mib * kChunk, "write", "fsync");
  say("progress %llu %llu MiB written\n", static_cast<ull>(mib), static_cast<ull>(total));
  if (code != 0 || !o.verify) return code;

  for (uint64_t i = 0; i < o.writers && (i == 0 || !o.same_file); ++i) print_extents(shares[i]);
  for (uint64_t s = 0; s < o.pause_s * 2; ++s) {
    say("progress %llu %llu MiB pause\n", static_cast<ull>(mib), static_cast<ull>(total));
    sleep_ms(500);
  }
  if (int dropped = drop_page_cache(o); dropped != 0) return dropped;
  for (uint64_t i = 0; i < o.writers; ++i) done[i] = 0;
  code =
      run_round(shares, o.writers, verify_share, done, mib, total, mib * kChunk, "verify", nullptr);
  if (code == 0) {
    say("progress %llu %llu MiB verified\n", static_cast<ull>(total), static_cast<ull>(total));
    say("verify ok\n");
  }
  return code;
}

}  // namespace wedge::guest
