// Implementation of relayed_daemon.h.
#include "harness/storage/relayed_daemon.h"

namespace wedge::storage {

Result<RelayedDaemon::Parts> RelayedDaemon::start_parts(DaemonOptions options,
                                                        std::chrono::milliseconds timeout) {
  const std::string what = fmt::format("starting {}", options.name);
  auto daemon = SupervisedDaemon::start(std::move(options), timeout);
  if (!daemon) return daemon.error().context(what);
  auto relay = TcpRelay::start((*daemon)->port());
  if (!relay) return relay.error().context(what);
  return Parts{std::move(*daemon), std::move(*relay)};
}

Result<std::unique_ptr<RelayedDaemon>> RelayedDaemon::start(DaemonOptions options,
                                                            std::string description,
                                                            std::chrono::milliseconds timeout) {
  WEDGE_TRY(Parts parts, start_parts(std::move(options), timeout));
  return std::unique_ptr<RelayedDaemon>(
      new RelayedDaemon(std::move(parts), std::move(description)));
}

RelayedDaemon::RelayedDaemon(std::unique_ptr<SupervisedDaemon> daemon,
                             std::unique_ptr<TcpRelay> relay, std::string description)
    : daemon_(std::move(daemon)), relay_(std::move(relay)), description_(std::move(description)) {}

RelayedDaemon::~RelayedDaemon() { (void)stop(); }

ServerStats RelayedDaemon::stats() const { return server_stats_of(relay_->stats()); }

Status RelayedDaemon::stop() {
  relay_->stop();
  return daemon_->stop();
}

Status RelayedDaemon::restart(std::chrono::milliseconds timeout) {
  WEDGE_CHECK(daemon_->restart(timeout));
  if (daemon_->port() != relay_->target_port()) relay_->set_target_port(daemon_->port());
  return ok_status();
}

}  // namespace wedge::storage
