// Implementation of guest_server.h.
#include "harness/storage/guest_server.h"

#include <csignal>

namespace wedge::storage {

Result<std::unique_ptr<GuestServer>> GuestServer::start(std::unique_ptr<ServerGuest> guest,
                                                        int served_port, std::string description) {
  WEDGE_TRY(auto relay, TcpRelay::start(guest->host_port(served_port)));
  return std::unique_ptr<GuestServer>(
      new GuestServer(std::move(guest), std::move(relay), std::move(description)));
}

GuestServer::GuestServer(std::unique_ptr<ServerGuest> guest, std::unique_ptr<TcpRelay> relay,
                         std::string description)
    : guest_(std::move(guest)), relay_(std::move(relay)), description_(std::move(description)) {}

GuestServer::~GuestServer() { (void)stop(); }

ServerStats GuestServer::stats() const { return server_stats_of(relay_->stats()); }

Status GuestServer::stop() {
  relay_->stop();
  if (!guest_) return ok_status();
  Status resumed = paused_ ? guest_->resume() : ok_status();
  paused_ = false;
  guest_.reset();  // destroys the server guest
  return resumed;
}

Status GuestServer::signal(int sig) {
  if (!guest_) return make_error("{}: the server guest is gone", description_);
  if (sig == SIGSTOP) {
    WEDGE_CHECK(guest_->pause());
    paused_ = true;
    return ok_status();
  }
  if (sig == SIGCONT) {
    WEDGE_CHECK(guest_->resume());
    paused_ = false;
    return ok_status();
  }
  return make_error("{}: a server guest takes SIGSTOP (pause) and SIGCONT (resume), not signal {}",
                    description_, sig);
}

Status GuestServer::kill() {
  return make_error("{}: a kernel server in a guest cannot be killed (use server-stall: pause)",
                    description_);
}

Status GuestServer::restart(std::chrono::milliseconds) {
  return make_error("{}: a kernel server in a guest cannot be restarted", description_);
}

}  // namespace wedge::storage
