// Implementation of hog.h: mmap, pattern writes page by page, progress via write(2), verify.
#include "workloads/agent/hog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
constexpr size_t kMiB = 1024 * 1024;

constexpr const char* kUsage =
    "usage: wedge-agent hog --mib N [--step-mib S] [--verify]\n"
    "  Maps N MiB of anonymous memory and writes a page-index pattern to every page,\n"
    "  printing \"progress <mib_done> <mib_total>\" every S MiB (default 16) and at the end.\n"
    "  --verify re-reads every page and prints \"verify ok\" or \"verify mismatch page <n>\".\n"
    "  Exit: 0 ok, 1 mmap failed, 2 usage error, 3 verify mismatch.\n";

// Every word of every page differs, and none is zero, so a page swapped in from the wrong
// slot, or zero-filled, is caught.
inline uint64_t pattern(uint64_t page, uint64_t word) {
  return ((page + 1) * 0x9E3779B97F4A7C15ULL) ^ (word << 48) ^ 0x5745444745484F47ULL;
}

int usage_error(const char* why) {
  dprintf(STDERR_FILENO, "wedge-agent hog: %s\n%s", why, kUsage);
  return 2;
}
}  // namespace

int hog_main(int argc, char** argv) {
  uint64_t mib = 0, step = 16;
  bool verify = false;
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      (void)write_all(STDOUT_FILENO, kUsage, strlen(kUsage));
      return 0;
    } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &mib) || mib == 0) return usage_error("bad --mib");
    } else if (strcmp(argv[i], "--step-mib") == 0 && i + 1 < argc) {
      if (!parse_decimal(argv[++i], &step) || step == 0) return usage_error("bad --step-mib");
    } else if (strcmp(argv[i], "--verify") == 0) {
      verify = true;
    } else {
      return usage_error("unknown argument");
    }
  }
  if (mib == 0) return usage_error("--mib is required");
  if (mib > (SIZE_MAX / kMiB)) return usage_error("--mib too large");

  size_t bytes = mib * kMiB;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    dprintf(STDERR_FILENO, "wedge-agent hog: mmap %llu MiB: %s\n",
            static_cast<unsigned long long>(mib), errno_text(errno));
    return 1;
  }
  auto* words = static_cast<volatile uint64_t*>(mem);
  const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t words_per_page = page_size / sizeof(uint64_t);
  const size_t pages_per_mib = kMiB / page_size;
  const uint64_t pages = bytes / page_size;

  for (uint64_t page = 0; page < pages; ++page) {
    volatile uint64_t* p = words + page * words_per_page;
    for (size_t w = 0; w < words_per_page; ++w) p[w] = pattern(page, w);
    if ((page + 1) % pages_per_mib == 0) {
      uint64_t done = (page + 1) / pages_per_mib;
      if (done % step == 0 || done == mib)
        say("progress %llu %llu\n", static_cast<unsigned long long>(done),
            static_cast<unsigned long long>(mib));
    }
  }
  if (!verify) return 0;
  for (uint64_t page = 0; page < pages; ++page) {
    volatile uint64_t* p = words + page * words_per_page;
    for (size_t w = 0; w < words_per_page; ++w) {
      if (p[w] != pattern(page, w)) {
        say("verify mismatch page %llu\n", static_cast<unsigned long long>(page));
        return 3;
      }
    }
  }
  say("verify ok\n");
  return 0;
}

}  // namespace wedge::guest
