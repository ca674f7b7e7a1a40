// Implementation of guest_swap.h.
#include "harness/run/guest_swap.h"

#include <chrono>
#include <thread>

#include "harness/storage/proc_net_tcp.h"
#include "harness/storage/server.h"
#include "harness/util/process.h"

namespace wedge::run {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// nbd-loopback: nbd-server runs inside the guest, exporting the guest's own virtio disk,
// and the guest swaps through it: the server needs memory to write out the memory the
// kernel is trying to free ("an NBD that functions reliably, even when accessing an exported
// block device locally").
Status start_guest_nbd_server(GuestSession& session, Progress& progress, const Timeouts& timeouts) {
  progress.step("guest: modprobe virtio_blk");
  auto blk = session.run_step("guest: modprobe virtio_blk",
                              {"/bin/busybox", "modprobe", "virtio_blk"}, timeouts.agent_command());
  if (!blk) return blk.error();
  WEDGE_CHECK(session.write_guest_file(
      "/tmp/nbd-server.conf",
      fmt::format("[generic]\nlistenaddr = 127.0.0.1\nport = {}\n[wedge]\nexportname = /dev/vda\n",
                  kGuestNbdPort),
      timeouts.agent_command()));
  WEDGE_TRY(fs::path nbd_server, find_executable("nbd-server"));
  progress.step("guest: nbd-server on 127.0.0.1 exporting /dev/vda");
  WEDGE_TRY(uint32_t job, session.start_job("guest nbd-server", {nbd_server.string(), "-C",
                                                                 "/tmp/nbd-server.conf", "-d"}));
  auto deadline = std::chrono::steady_clock::now() + timeouts.agent_command();
  while (std::chrono::steady_clock::now() < deadline) {
    if (session.job(job).exited) {
      return make_error("nbd-server in the guest exited ({}): {}", session.job(job).exit_code,
                        session.job(job).output);
    }
    auto tcp = session.read_guest_file("/proc/net/tcp", 1 << 20, 5s);
    if (tcp && storage::tcp_listening(*tcp, kGuestNbdPort)) return ok_status();
    std::this_thread::sleep_for(100ms);
  }
  return make_error("nbd-server in the guest did not listen on {} in time", kGuestNbdPort);
}

}  // namespace

Status setup_guest_swap(GuestSession& session, Progress& progress, const Timeouts& timeouts,
                        const SwapTarget& target) {
  auto step = [&](const std::string& name, std::vector<std::string> argv) -> Status {
    progress.step(name);
    auto r = session.run_step(name, argv, timeouts.agent_command());
    if (!r) return r.error();
    return ok_status();
  };
  WEDGE_CHECK(step("guest: modprobe nbd", {"/bin/busybox", "modprobe", "nbd", "nbds_max=2"}));
  WEDGE_TRY(fs::path nbd_client, find_executable("nbd-client"));
  std::string host = storage::kGuestHostAddress;
  int port = 0;
  if (target.loopback) {
    WEDGE_CHECK(start_guest_nbd_server(session, progress, timeouts));
    host = "127.0.0.1";
    port = kGuestNbdPort;
  } else {
    port = target.host_port;
  }
  WEDGE_CHECK(step(fmt::format("guest: nbd-client connects to {}:{}", host, port),
                   {nbd_client.string(), host, std::to_string(port), "/dev/nbd0", "-N", "wedge"}));
  WEDGE_CHECK(step("guest: mkswap /dev/nbd0", {"/bin/busybox", "mkswap", "/dev/nbd0"}));
  WEDGE_CHECK(step("guest: swapon /dev/nbd0", {"/bin/busybox", "swapon", "/dev/nbd0"}));
  return ok_status();
}

}  // namespace wedge::run
