// Implementation of mmap_writer.h: fork the processes, each mmaps its share and writes and
// reads it pass after pass; one shared counter (a MAP_SHARED page) adds up the MiB written.
#include "workloads/agent/mmap_writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {

constexpr size_t kMiB = 1024 * 1024;
constexpr int kMaxProcs = 256;

constexpr const char* kUsage =
    "usage: wedge-agent mmap-write --procs N --mib M [--passes P] [--step-mib S] [--verify]\n"
    "  N processes each map M MiB of anonymous memory and, P times (default 1), write a\n"
    "  pattern (of the process, the pass and the page) to every page and read it back.\n"
    "  Prints \"progress <mib_done> <mib_total>\" every S MiB (default 16) written by all.\n"
    "  --verify checks every page read back: \"verify ok\" or\n"
    "  \"verify mismatch proc <p> pass <n> page <i>\".\n"
    "  Exit: 0 ok, 1 fork or mmap failed, 2 usage error, 3 verify mismatch.\n";

// Differs per process, pass, page and word and is never zero, so a page swapped in from the
// wrong slot, from an earlier pass, or zero-filled is caught.
inline uint64_t pattern(uint64_t proc, uint64_t pass, uint64_t page, uint64_t word) {
  return ((page + 1) * 0x9E3779B97F4A7C15ULL) ^ ((proc + 1) * 0xC2B2AE3D27D4EB4FULL) ^
         (pass << 40) ^ (word << 52) ^ 0x4D4D41502D575200ULL;
}

int usage_error(const char* why) {
  dprintf(STDERR_FILENO, "wedge-agent mmap-write: %s\n%s", why, kUsage);
  return 2;
}

struct Job {
  uint64_t procs = 0, mib = 0, passes = 1, step = 16;
  bool verify = false;
};

// One process's work; returns its exit code.
int run_one(const Job& job, uint64_t proc, uint64_t* shared_done) {
  const size_t bytes = job.mib * kMiB;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    dprintf(STDERR_FILENO, "wedge-agent mmap-write: proc %llu: mmap %llu MiB: %s\n",
            static_cast<unsigned long long>(proc), static_cast<unsigned long long>(job.mib),
            errno_text(errno));
    return 1;
  }
  auto* words = static_cast<volatile uint64_t*>(mem);
  const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t words_per_page = page_size / sizeof(uint64_t);
  const size_t pages_per_mib = kMiB / page_size;
  const uint64_t pages = bytes / page_size;
  const uint64_t total = job.procs * job.mib * job.passes;
  for (uint64_t pass = 0; pass < job.passes; ++pass) {
    for (uint64_t page = 0; page < pages; ++page) {
      volatile uint64_t* p = words + page * words_per_page;
      for (size_t w = 0; w < words_per_page; ++w) p[w] = pattern(proc, pass, page, w);
      if ((page + 1) % pages_per_mib != 0) continue;
      uint64_t done = __atomic_add_fetch(shared_done, 1, __ATOMIC_RELAXED);
      if (done % job.step == 0 || done == total) {
        say("progress %llu %llu\n", static_cast<unsigned long long>(done),
            static_cast<unsigned long long>(total));
      }
    }
    for (uint64_t page = 0; page < pages; ++page) {
      volatile uint64_t* p = words + page * words_per_page;
      for (size_t w = 0; w < words_per_page; ++w) {
        if (p[w] != pattern(proc, pass, page, w) && job.verify) {
          say("verify mismatch proc %llu pass %llu page %llu\n",
              static_cast<unsigned long long>(proc), static_cast<unsigned long long>(pass),
              static_cast<unsigned long long>(page));
          return 3;
        }
      }
    }
  }
  munmap(mem, bytes);
  return 0;
}

}  // namespace

int mmap_writer_main(int argc, char** argv) {
  Job job;
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      (void)write_all(STDOUT_FILENO, kUsage, strlen(kUsage));
      return 0;
    } else if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &job.procs) || job.procs == 0 || job.procs > kMaxProcs) {
        return usage_error("bad --procs (1..256)");
      }
    } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &job.mib) || job.mib == 0) return usage_error("bad --mib");
    } else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &job.passes) || job.passes == 0) {
        return usage_error("bad --passes");
      }
    } else if (strcmp(argv[i], "--step-mib") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &job.step) || job.step == 0) {
        return usage_error("bad --step-mib");
      }
    } else if (strcmp(argv[i], "--verify") == 0) {
      job.verify = true;
    } else {
      return usage_error("unknown argument");
    }
  }
  if (job.procs == 0 || job.mib == 0) return usage_error("--procs and --mib are required");
  if (job.mib > SIZE_MAX / kMiB) return usage_error("--mib too large");

  // The counter all processes add to: one shared page, mapped before they fork.
  void* shared =
      mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    dprintf(STDERR_FILENO, "wedge-agent mmap-write: mmap counter: %s\n", errno_text(errno));
    return 1;
  }
  auto* done = static_cast<uint64_t*>(shared);
  pid_t children[kMaxProcs] = {};
  int result = 0;
  uint64_t started = 0;
  for (; started < job.procs; ++started) {
    pid_t pid = fork();
    if (pid == 0) _exit(run_one(job, started, done));
    if (pid < 0) {
      dprintf(STDERR_FILENO, "wedge-agent mmap-write: fork: %s\n", errno_text(errno));
      result = 1;
      break;
    }
    children[started] = pid;
  }
  // The first failure decides the exit code; every child is waited for.
  for (uint64_t i = 0; i < started; ++i) {
    int status = 0;
    while (waitpid(children[i], &status, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (result == 0 && code != 0) result = code;
  }
  if (result == 0 && job.verify) say("verify ok\n");
  return result;
}

}  // namespace wedge::guest
