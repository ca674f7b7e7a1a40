// A Server made of a SupervisedDaemon with wedge's TcpRelay in front of it: what every host
// storage server is (nbd-server, nbdkit, tgtd, ganesha.nfsd). Each server type only says how
// to start its daemon; signals, kills, restarts (the relay follows a new port), stats and
// teardown are here, once.
//
//   WEDGE_TRY(auto server, storage::RelayedDaemon::start(std::move(daemon_options),
//                                                       "tgtd 1.0.85", 10s));
#pragma once

#include <memory>

#include "harness/storage/relay.h"
#include "harness/storage/server.h"
#include "harness/storage/supervised_daemon.h"

namespace wedge::storage {

class RelayedDaemon : public Server {
 public:
  [[nodiscard]] static Result<std::unique_ptr<RelayedDaemon>> start(
      DaemonOptions options, std::string description, std::chrono::milliseconds timeout);
  ~RelayedDaemon() override;  // stop()

  [[nodiscard]] int guest_port() const override { return relay_->port(); }
  [[nodiscard]] bool healthy() override { return daemon_->healthy(); }
  [[nodiscard]] ServerStats stats() const override;
  [[nodiscard]] std::string describe() const override { return description_; }
  [[nodiscard]] Status stop() override;
  [[nodiscard]] Status signal(int sig) override { return daemon_->signal(sig); }
  [[nodiscard]] Status kill() override { return daemon_->kill(); }
  [[nodiscard]] Status restart(std::chrono::milliseconds timeout) override;
  [[nodiscard]] TcpRelay& relay() override { return *relay_; }
  [[nodiscard]] std::filesystem::path log_path() const override { return daemon_->log_path(); }
  [[nodiscard]] std::string exit_description() const override {
    return daemon_->exit_description();
  }

  [[nodiscard]] SupervisedDaemon& daemon() { return *daemon_; }
  // Where the daemon itself listens on 127.0.0.1 (the relay forwards there).
  [[nodiscard]] int server_port() const { return daemon_->port(); }
  [[nodiscard]] pid_t pid() const { return daemon_->pid(); }

 protected:
  struct Parts {
    std::unique_ptr<SupervisedDaemon> daemon;
    std::unique_ptr<TcpRelay> relay;
  };
  // The daemon, listening, with a relay in front: for subclasses' own start().
  [[nodiscard]] static Result<Parts> start_parts(DaemonOptions options,
                                                 std::chrono::milliseconds timeout);
  RelayedDaemon(Parts parts, std::string description)
      : RelayedDaemon(std::move(parts.daemon), std::move(parts.relay), std::move(description)) {}
  RelayedDaemon(std::unique_ptr<SupervisedDaemon> daemon, std::unique_ptr<TcpRelay> relay,
                std::string description);

 private:
  std::unique_ptr<SupervisedDaemon> daemon_;
  std::unique_ptr<TcpRelay> relay_;
  std::string description_;
};

}  // namespace wedge::storage
