// What a blocked or spinning task is doing for the hang, read from its stack: the task the
// others wait on (a storage driver sending a request or reconnecting its transport, a storage
// daemon or virtio_net's refill worker stuck in reclaim) or one of the crowd waiting (mempool,
// writeback, throttling, RCU, a driver's receive worker waiting for replies or for the socket
// a sender holds).
//
//   TaskRoleMatch m = task_role(frames, "kworker/0:1H");
//   if (is_cause(m.role)) title = "INFO: task hung in " + m.cause_frame;  // "__sock_xmit"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reports/report.h"

namespace wedge::detect {

enum class TaskRole {
  kOther,            // nothing the table knows
  kWaiter,           // waits for I/O someone else must finish (mempool, writeback, throttle)
  kWaitsForCpu,      // waits for an RCU grace period or for another CPU to act
  kTransmitBlocked,  // in a storage driver's submission path, waiting for its own lock
  kTransmit,         // in a storage driver's transmit path, down in a send or an allocation
  kStorageDaemon,    // a storage server process (nbd-server, tgtd, ...) in reclaim
  kNetRefill,        // virtio_net's refill worker allocating receive buffers, in reclaim
  kReceiver,         // a storage driver's receive worker: waits for replies or the socket lock
  kReconnect,        // a storage driver re-establishing its transport, in an allocation or reclaim
};

struct TaskRoleMatch {
  TaskRole role = TaskRole::kOther;
  // The frame that names the cause in a title (innermost driver frame, refill_work, or the
  // allocation a daemon reclaims in); empty unless is_cause(role). A reconnect's is its
  // innermost connect frame (nvme_tcp_setup_ctrl, or nvme_tcp_alloc_queue when not inlined).
  std::string cause_frame;
  // An allocation or reclaim is on the stack. A cause that is allocating is stuck getting
  // memory, not waiting for a peer: it is the cause even when the server looks silent. A
  // waiter that is says the guest is short of memory (it waits for I/O inside reclaim).
  bool allocating = false;
  // The storage driver ("nbd", "iscsi", "nvme-tcp", "nfs") of a driver task; "" otherwise.
  std::string driver;
  // A receiver asleep on its socket's lock: a sender holds the socket inside its send path
  // (a sender waiting for buffer space lets the lock go).
  bool waits_for_socket_lock = false;
};

// The role of a task with these frames (innermost first, as the kernel prints them) and this
// comm ("nbd-server"; "" when unknown): task_role({"__alloc_pages_slowpath", ...,
// "__sock_xmit", "nbd_send_cmd", "nbd_queue_rq"}, "kworker/0:1H") -> {kTransmit, "__sock_xmit"};
// task_role({"mempool_alloc", ..., "__alloc_pages", "page_frag_alloc_align",
// "nvme_tcp_setup_ctrl", "nvme_tcp_reconnect_ctrl_work"}, "kworker/u2:1") -> {kReconnect,
// "nvme_tcp_setup_ctrl", driver "nvme-tcp"}.
[[nodiscard]] TaskRoleMatch task_role(const std::vector<std::string>& frames,
                                      std::string_view comm);

// True for the roles whose task the others wait on.
[[nodiscard]] bool is_cause(TaskRole role);

// True when the frames wait for RCU or for another CPU (synchronize_rcu, stop_machine,
// smp_call_function...): such a task is the consequence of whatever keeps that CPU busy.
[[nodiscard]] bool waits_for_cpu(const std::vector<std::string>& frames);

// The comm of a stack group's first task ("nbd-server" of "nbd-server:85").
[[nodiscard]] std::string first_comm(const reports::StackGroup& group);

// Stack groups with the cause first: a transmit task in a send or an allocation, a reconnect
// in an allocation, a storage daemon or the refill worker in reclaim, then a transmit task
// waiting on its lock, then
// everything else most frequent first (the order they came in, which is by count). Stable.
[[nodiscard]] std::vector<reports::StackGroup> rank_by_role(
    std::vector<reports::StackGroup> groups);

}  // namespace wedge::detect
