// The registry of transports: one line per transport. X(Enum, file, "name") makes the
// TransportKind enum value and its scenario name (kinds.h) and finds the transport's entry
// (<file>_transport() in harness/storage/<file>_transport.cpp, through transport_registry.cpp).
// A new transport is its own file(s), this line and its tests. The order is the order of names
// in messages and tables.
#pragma once

// clang-format off
#define WEDGE_TRANSPORT_KINDS(X)                    \
  X(kNbd, nbd, "nbd")                               \
  X(kNbdLoopback, nbd_loopback, "nbd-loopback")     \
  X(kIscsi, iscsi, "iscsi")                         \
  X(kNfs, nfs, "nfs")                               \
  X(kNinep, ninep, "9p")                            \
  X(kNvmeTcp, nvme_tcp, "nvme-tcp")                 \
  X(kNfsLoopback, nfs_loopback, "nfs-loopback")
// clang-format on
