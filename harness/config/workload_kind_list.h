// The registry of workload kinds: one line per kind. X(Enum, file, "name") makes the
// WorkloadKind enum value and its scenario name (kinds.h), finds the kind's declaration of its
// keys (<file>_workload_kind() in harness/config/workload_kinds/<file>.cpp, through
// workload_kind.h) and its WorkloadEntry (<file>_workload() in
// harness/workload_kinds/<file>_workload.cpp, through workload_registry.cpp). A new kind is its
// two files, this line and its tests. The order is the order of names in messages and tables.
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
