// The registry of workload kinds: one line per kind. X(Enum, file, "name") makes the
// WorkloadKind enum value and its scenario name (kinds.h) and finds the kind's WorkloadEntry
// (<file>_workload() in harness/workload_kinds/<file>_workload.cpp, through workload_registry.cpp).
// A new kind is its file, this line and its tests. The order is the order of names in messages.
#pragma once

// clang-format off
#define WEDGE_WORKLOAD_KINDS(X)                                  \
  X(kSwapHog, swap_hog, "swap-hog")                              \
  X(kCommand, command, "command")                                \
  X(kLargeFile, large_file, "large-file")                        \
  X(kConcurrentWriters, concurrent_writers, "concurrent-writers") \
  X(kMke2fs, mke2fs, "mke2fs")                                   \
  X(kFio, fio, "fio")                                            \
  X(kAnonMmapWrite, anon_mmap_write, "anon-mmap-write")
// clang-format on
