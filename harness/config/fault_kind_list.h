// The registry of fault kinds: one line per kind. X(Enum, file) makes the FaultKind enum value
// (kinds.h), finds the kind's declaration of its keys (<file>_fault_kind() in
// harness/config/fault_kinds/<file>.cpp, through fault_kind.h) and its injector
// (make_<file>_injector() in harness/faults/, through injectors.cpp). A new kind is its two
// files, this line and its tests. The order is the order of names in messages and tables.
#pragma once

// clang-format off
#define WEDGE_FAULT_KINDS(X)              \
  X(kServerStall, server_stall)           \
  X(kServerCrash, server_crash)           \
  X(kServerRestart, server_restart)       \
  X(kDelay, delay)                        \
  X(kRate, rate)                          \
  X(kError, error)                        \
  X(kBlackhole, blackhole)                \
  X(kReset, reset)                        \
  X(kBalloon, balloon)                    \
  X(kMemoryMax, memory_max)               \
  X(kServerSlowAfter, server_slow_after)  \
  X(kServerSqueeze, server_squeeze)
// clang-format on
