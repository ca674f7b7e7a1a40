// Implementation of task_roles.h: one table of kernel functions and what their presence on a
// stack says about the task, written from what each function does in the kernel.
#include "harness/detect/task_roles.h"

#include <algorithm>
#include <array>
#include <utility>

namespace wedge::detect {

namespace {

enum class FrameKind {
  kDriverTransmit,  // a block (or swap-over-network) driver submitting or sending a request
  kDriverQueue,     // a driver's queue_rq entry, before it reaches its socket
  kDriverReceive,   // a driver's worker reading replies from its socket
  kDriverConnect,   // a driver (re)connecting its transport: sockets, queues and their buffers
  kSocketSend,      // the socket send path under a driver
  kSocketReceive,   // the socket receive path under a driver
  kSocketLock,      // sleeps for the socket's lock, which another task holds
  kAllocation,      // a page or buffer allocation (the slow path reclaims)
  kReclaim,         // memory reclaim proper
  kNetRefill,       // virtio_net's receive-buffer refill from its workqueue
  kWaiter,          // waits for I/O or memory that another task must free
  kWaitsForCpu,     // waits for an RCU grace period or another CPU
};

struct FrameEntry {
  std::string_view name;
  FrameKind kind;
  std::string_view driver = "";  // the driver's name in titles ("nbd"), for driver frames
};

// clang-format off
constexpr std::array kFrames = {
    // nbd (drivers/block/nbd.c)
    FrameEntry{"__sock_xmit", FrameKind::kDriverTransmit, "nbd"},      // sends one request's bytes on the nbd socket
    FrameEntry{"sock_xmit", FrameKind::kDriverTransmit, "nbd"},        // wrapper of __sock_xmit (older kernels)
    FrameEntry{"nbd_send_cmd", FrameKind::kDriverTransmit, "nbd"},     // builds and sends one request header + data
    FrameEntry{"nbd_handle_cmd", FrameKind::kDriverQueue, "nbd"},      // picks the connection, takes its tx_lock
    FrameEntry{"nbd_queue_rq", FrameKind::kDriverQueue, "nbd"},        // blk-mq queue_rq: hands a request to nbd
    FrameEntry{"recv_work", FrameKind::kDriverReceive, "nbd"},         // reads replies (__sock_xmit too)
    FrameEntry{"nbd_read_stat", FrameKind::kDriverReceive, "nbd"},     // reads one reply header
    FrameEntry{"nbd_read_reply", FrameKind::kDriverReceive, "nbd"},    // the same (newer kernels)
    // iSCSI initiator (drivers/scsi/libiscsi.c, iscsi_tcp.c, libiscsi_tcp.c)
    FrameEntry{"iscsi_sw_tcp_xmit_segment", FrameKind::kDriverTransmit, "iscsi"},  // sends one PDU segment
    FrameEntry{"iscsi_sw_tcp_xmit", FrameKind::kDriverTransmit, "iscsi"},          // sends queued PDU segments
    FrameEntry{"iscsi_sw_tcp_pdu_xmit", FrameKind::kDriverTransmit, "iscsi"},      // transmits one PDU
    FrameEntry{"iscsi_tcp_task_xmit", FrameKind::kDriverTransmit, "iscsi"},        // sends a task's data-out
    FrameEntry{"iscsi_xmit_task", FrameKind::kDriverTransmit, "iscsi"},            // sends one SCSI task
    FrameEntry{"iscsi_data_xmit", FrameKind::kDriverTransmit, "iscsi"},            // drains the session's queues
    FrameEntry{"iscsi_xmitworker", FrameKind::kDriverTransmit, "iscsi"},           // the connection's tx work item
    FrameEntry{"iscsi_queuecommand", FrameKind::kDriverQueue, "iscsi"},            // SCSI host queuecommand
    // NVMe over TCP (drivers/nvme/host/tcp.c)
    FrameEntry{"nvme_tcp_try_send_data", FrameKind::kDriverTransmit, "nvme-tcp"},     // sends a request's data
    FrameEntry{"nvme_tcp_try_send_cmd_pdu", FrameKind::kDriverTransmit, "nvme-tcp"},  // sends a command capsule
    FrameEntry{"nvme_tcp_try_send", FrameKind::kDriverTransmit, "nvme-tcp"},          // sends the next queued request
    FrameEntry{"nvme_tcp_io_work", FrameKind::kDriverTransmit, "nvme-tcp"},           // the queue's io work item
    FrameEntry{"nvme_tcp_queue_rq", FrameKind::kDriverQueue, "nvme-tcp"},             // blk-mq queue_rq
    // ... and its controller (re)connect, which allocates with GFP_KERNEL: in reclaim it may
    // write swap to the namespace that has no path until this very connect succeeds. (nbd and
    // iSCSI reconnect from userspace: nbd-client, iscsid.)
    FrameEntry{"nvme_tcp_alloc_async_req", FrameKind::kDriverConnect, "nvme-tcp"},        // page_frag_alloc of the AER's PDU
    FrameEntry{"nvme_tcp_init_connection", FrameKind::kDriverConnect, "nvme-tcp"},        // ICReq/ICResp exchange on a new socket
    FrameEntry{"nvme_tcp_alloc_queue", FrameKind::kDriverConnect, "nvme-tcp"},            // a queue's socket, connect, PDU buffers
    FrameEntry{"nvme_tcp_alloc_admin_queue", FrameKind::kDriverConnect, "nvme-tcp"},      // queue 0 and the async event request
    FrameEntry{"nvme_tcp_alloc_io_queues", FrameKind::kDriverConnect, "nvme-tcp"},        // sets the count, allocates each I/O queue
    FrameEntry{"nvme_tcp_configure_admin_queue", FrameKind::kDriverConnect, "nvme-tcp"},  // allocates, connects, enables the ctrl
    FrameEntry{"nvme_tcp_configure_io_queues", FrameKind::kDriverConnect, "nvme-tcp"},    // allocates and connects the I/O queues
    FrameEntry{"nvme_tcp_setup_ctrl", FrameKind::kDriverConnect, "nvme-tcp"},             // brings the whole controller up
    FrameEntry{"nvme_tcp_reconnect_ctrl_work", FrameKind::kDriverConnect, "nvme-tcp"},    // the delayed reconnect attempt
    FrameEntry{"nvme_reset_ctrl_work", FrameKind::kDriverConnect, "nvme-tcp"},            // tcp.c's reset: teardown, setup_ctrl
    FrameEntry{"nvme_tcp_error_recovery_work", FrameKind::kDriverConnect, "nvme-tcp"},    // teardown after an error, queues the reconnect
    // sunrpc under NFS swap (net/sunrpc/xprtsock.c, xprt.c)
    FrameEntry{"xs_tcp_send_request", FrameKind::kDriverTransmit, "nfs"},  // writes one RPC to the TCP socket
    FrameEntry{"xprt_transmit", FrameKind::kDriverTransmit, "nfs"},        // sends queued RPC requests
    // The socket under them (net/ipv4/tcp.c, net/core/stream.c, net/socket.c)
    FrameEntry{"sk_stream_wait_memory", FrameKind::kSocketSend},  // waits for send-buffer space
    FrameEntry{"tcp_sendmsg_locked", FrameKind::kSocketSend},     // copies data into skbs
    FrameEntry{"tcp_sendmsg", FrameKind::kSocketSend},            // takes the socket lock, sends
    FrameEntry{"tcp_sendpage", FrameKind::kSocketSend},           // sends a page without copying
    FrameEntry{"sock_sendmsg", FrameKind::kSocketSend},           // protocol-independent send
    FrameEntry{"kernel_sendmsg", FrameKind::kSocketSend},         // in-kernel send of a kvec
    FrameEntry{"tcp_recvmsg_locked", FrameKind::kSocketReceive},  // copies received data out
    FrameEntry{"tcp_recvmsg", FrameKind::kSocketReceive},         // takes the socket lock, reads
    FrameEntry{"inet_recvmsg", FrameKind::kSocketReceive},        // the inet protocols' read
    FrameEntry{"sock_recvmsg", FrameKind::kSocketReceive},        // protocol-independent read
    FrameEntry{"kernel_recvmsg", FrameKind::kSocketReceive},      // in-kernel read into a kvec
    FrameEntry{"sk_wait_data", FrameKind::kSocketReceive},        // sleeps until data arrives
    FrameEntry{"__lock_sock", FrameKind::kSocketLock},            // sleeps until the owner unlocks
    FrameEntry{"lock_sock_nested", FrameKind::kSocketLock},       // takes the lock, may sleep
    FrameEntry{"sk_page_frag_refill", FrameKind::kAllocation},    // a page fragment for skb data
    FrameEntry{"skb_page_frag_refill", FrameKind::kAllocation},   // allocates that page
    // Allocation and reclaim (mm/page_alloc.c, mm/vmscan.c)
    FrameEntry{"__alloc_pages_slowpath", FrameKind::kAllocation},  // reclaim/compaction/retry loop
    FrameEntry{"__alloc_pages", FrameKind::kAllocation},           // the page allocator's entry
    FrameEntry{"try_to_free_pages", FrameKind::kReclaim},          // direct reclaim entry
    FrameEntry{"do_try_to_free_pages", FrameKind::kReclaim},       // direct reclaim's loop
    FrameEntry{"shrink_node", FrameKind::kReclaim},                // reclaims one node's LRUs
    FrameEntry{"shrink_lruvec", FrameKind::kReclaim},              // scans one LRU vector
    FrameEntry{"shrink_folio_list", FrameKind::kReclaim},          // pages out a list of folios
    // virtio_net (drivers/net/virtio_net.c)
    FrameEntry{"refill_work", FrameKind::kNetRefill},    // workqueue retry of a failed rx refill
    FrameEntry{"try_fill_recv", FrameKind::kNetRefill},  // allocates receive buffers for the ring
    // Waiting for others (mm/mempool.c, block/, mm/page-writeback.c, kernel/workqueue.c)
    FrameEntry{"mempool_alloc", FrameKind::kWaiter},          // waits for an element to be freed
    FrameEntry{"bio_alloc_bioset", FrameKind::kWaiter},       // a bio from a mempool-backed set
    FrameEntry{"balance_dirty_pages", FrameKind::kWaiter},    // throttles a writer until writeback
    FrameEntry{"__rq_qos_throttle", FrameKind::kWaiter},      // block QoS throttling a submitter
    FrameEntry{"rq_qos_wait", FrameKind::kWaiter},            // sleeps until in-flight I/O drops
    FrameEntry{"wbt_wait", FrameKind::kWaiter},               // writeback throttling's wait
    FrameEntry{"blk_mq_get_tag", FrameKind::kWaiter},         // waits for a free request tag
    FrameEntry{"folio_wait_writeback", FrameKind::kWaiter},   // waits for a page's write to end
    FrameEntry{"throttle_direct_reclaim", FrameKind::kWaiter},  // waits for kswapd's progress
    FrameEntry{"create_worker", FrameKind::kWaiter},          // a new kworker (allocates, waits)
    // Waiting for RCU or another CPU (kernel/rcu/, kernel/smp.c, kernel/stop_machine.c)
    FrameEntry{"synchronize_rcu", FrameKind::kWaitsForCpu},            // waits a grace period
    FrameEntry{"synchronize_rcu_expedited", FrameKind::kWaitsForCpu},  // the same, by IPIs
    FrameEntry{"__wait_rcu_gp", FrameKind::kWaitsForCpu},              // the grace-period wait
    FrameEntry{"wait_rcu_gp", FrameKind::kWaitsForCpu},                // (older name)
    FrameEntry{"synchronize_srcu", FrameKind::kWaitsForCpu},           // SRCU grace period
    FrameEntry{"rcu_barrier", FrameKind::kWaitsForCpu},                // waits for every callback
    FrameEntry{"smp_call_function_many_cond", FrameKind::kWaitsForCpu},  // waits for IPI handlers
    FrameEntry{"smp_call_function_single", FrameKind::kWaitsForCpu},   // one CPU's IPI handler
    FrameEntry{"stop_machine_cpuslocked", FrameKind::kWaitsForCpu},    // every CPU to stop
    FrameEntry{"stop_machine", FrameKind::kWaitsForCpu},               // the same, taking cpus_lock
    FrameEntry{"stop_one_cpu", FrameKind::kWaitsForCpu},               // one CPU's stopper thread
};
// clang-format on

// Storage servers whose process, stuck in reclaim, holds every request the guest sends it.
constexpr std::array<std::string_view, 7> kStorageDaemons = {
    "nbd-server", "nbdkit", "qemu-nbd", "tgtd", "ganesha.nfsd", "nfsd", "tcmu-runner"};

// "__alloc_pages_slowpath.constprop.0" and "nbd_queue_rq+0x1a/0x40" -> the function's name.
std::string_view function_name(std::string_view frame) {
  return frame.substr(0, frame.find_first_of(".+ "));
}

const FrameEntry* entry_for(std::string_view frame) {
  std::string_view name = function_name(frame);
  for (const auto& e : kFrames) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool has_kind(const std::vector<std::string>& frames, FrameKind kind) {
  return std::any_of(frames.begin(), frames.end(), [&](const std::string& f) {
    const FrameEntry* e = entry_for(f);
    return e && e->kind == kind;
  });
}

// The innermost frame of a storage driver (transmit, queue or receive); nullptr if none.
const FrameEntry* driver_entry(const std::vector<std::string>& frames) {
  for (const auto& f : frames) {
    const FrameEntry* e = entry_for(f);
    if (e && !e->driver.empty()) return e;
  }
  return nullptr;
}

// The innermost frame of `kind`; nullptr if none.
const FrameEntry* innermost_entry(const std::vector<std::string>& frames, FrameKind kind) {
  for (const auto& f : frames) {
    const FrameEntry* e = entry_for(f);
    if (e && e->kind == kind) return e;
  }
  return nullptr;
}

// The innermost frame of `kind`, without its suffix; "" if none.
std::string innermost(const std::vector<std::string>& frames, FrameKind kind) {
  const FrameEntry* e = innermost_entry(frames, kind);
  return e ? std::string(e->name) : "";
}

TaskRoleMatch match(TaskRole role, std::string cause_frame, bool allocating = false,
                    std::string driver = "") {
  TaskRoleMatch m;
  m.role = role;
  m.cause_frame = std::move(cause_frame);
  m.allocating = allocating;
  m.driver = std::move(driver);
  return m;
}

// 0: the cause; 1: a driver task behind the cause's lock; 2: everyone else.
int rank(const reports::StackGroup& g) {
  TaskRole role = task_role(g.frames, first_comm(g)).role;
  if (role == TaskRole::kTransmitBlocked) return 1;
  return is_cause(role) ? 0 : 2;
}

}  // namespace

TaskRoleMatch task_role(const std::vector<std::string>& frames, std::string_view comm) {
  const bool allocating = has_kind(frames, FrameKind::kAllocation);
  const bool reclaiming = has_kind(frames, FrameKind::kReclaim);
  // nbd reads replies through __sock_xmit too: a receive worker, or a task inside a socket
  // read, waits for the server's answers (or for the socket a sender holds), it sends nothing.
  if (has_kind(frames, FrameKind::kDriverReceive) ||
      (has_kind(frames, FrameKind::kSocketReceive) && !has_kind(frames, FrameKind::kSocketSend))) {
    if (const FrameEntry* d = driver_entry(frames)) {
      TaskRoleMatch m = match(TaskRole::kReceiver, "", false, std::string(d->driver));
      m.waits_for_socket_lock = has_kind(frames, FrameKind::kSocketLock);
      return m;
    }
  }
  // A connect that allocates waits for reclaim, and reclaim may wait for swap-out through the
  // very transport it connects: the cause, named by the connect wherever the dump caught it
  // allocating (its buffers, its socket, or a send of its own connect command).
  if (const FrameEntry* c = innermost_entry(frames, FrameKind::kDriverConnect);
      c && (allocating || reclaiming)) {
    return match(TaskRole::kReconnect, std::string(c->name), true, std::string(c->driver));
  }
  std::string driver = innermost(frames, FrameKind::kDriverTransmit);
  if (driver.empty()) driver = innermost(frames, FrameKind::kDriverQueue);
  if (!driver.empty()) {
    std::string name(driver_entry(frames)->driver);
    if (allocating || reclaiming || has_kind(frames, FrameKind::kSocketSend) ||
        has_kind(frames, FrameKind::kDriverTransmit)) {
      return match(TaskRole::kTransmit, driver, allocating || reclaiming, name);
    }
    return match(TaskRole::kTransmitBlocked, driver, false, name);
  }
  if (has_kind(frames, FrameKind::kNetRefill) && (allocating || reclaiming)) {
    // try_fill_recv also runs from NAPI, atomically and without reclaim: only the workqueue
    // refill can sleep in reclaim, so it names the cause.
    if (innermost(frames, FrameKind::kNetRefill) == "try_fill_recv" &&
        std::none_of(frames.begin(), frames.end(),
                     [](const std::string& f) { return function_name(f) == "refill_work"; })) {
      return match(TaskRole::kOther, "");
    }
    return match(TaskRole::kNetRefill, "refill_work", true);
  }
  bool daemon =
      std::find(kStorageDaemons.begin(), kStorageDaemons.end(), comm) != kStorageDaemons.end();
  if (daemon && reclaiming) {
    // The allocation the daemon reclaims for: its slow path stays on the stack wherever in
    // reclaim the daemon is caught, so the title does not move between runs.
    std::string at = innermost(frames, FrameKind::kAllocation);
    for (const auto& f : frames) {
      if (function_name(f) == "__alloc_pages_slowpath") at = "__alloc_pages_slowpath";
    }
    if (at.empty()) at = "try_to_free_pages";
    return match(TaskRole::kStorageDaemon, at, true);
  }
  if (has_kind(frames, FrameKind::kWaitsForCpu)) return match(TaskRole::kWaitsForCpu, "");
  if (has_kind(frames, FrameKind::kWaiter)) {
    return match(TaskRole::kWaiter, "", allocating || reclaiming);
  }
  return match(TaskRole::kOther, "");
}

bool is_cause(TaskRole role) {
  switch (role) {
    case TaskRole::kTransmit:
    case TaskRole::kTransmitBlocked:
    case TaskRole::kStorageDaemon:
    case TaskRole::kNetRefill:
    case TaskRole::kReconnect:
      return true;
    case TaskRole::kOther:
    case TaskRole::kWaiter:
    case TaskRole::kReceiver:
    case TaskRole::kWaitsForCpu:
      return false;
  }
  return false;
}

bool waits_for_cpu(const std::vector<std::string>& frames) {
  return has_kind(frames, FrameKind::kWaitsForCpu);
}

std::string first_comm(const reports::StackGroup& group) {
  if (group.tasks.empty()) return "";
  const std::string& label = group.tasks.front();
  return label.substr(0, label.rfind(':'));
}

std::vector<reports::StackGroup> rank_by_role(std::vector<reports::StackGroup> groups) {
  std::vector<std::pair<int, size_t>> order;  // rank, index: a stable sort by rank
  for (size_t i = 0; i < groups.size(); ++i) order.emplace_back(rank(groups[i]), i);
  std::sort(order.begin(), order.end());
  std::vector<reports::StackGroup> out;
  out.reserve(groups.size());
  for (const auto& [r, i] : order) out.push_back(std::move(groups[i]));
  return out;
}

}  // namespace wedge::detect
