// The one shape of a transport with a host server (nbd, iscsi, nfs): its server starts behind
// wedge's relay, QEMU forwards its port, faults and byte counts find it, reports name it, and
// it stops with the transport. All of that is here, once; a served transport says only where
// its data lives, how to start its server (that server's options) and how the guest attaches.
//
//   class NfsTransport final : public ServedTransport<GaneshaServer> {
//     std::filesystem::path data_in(const TransportContext& c) const override;  // export dir
//     Result<std::unique_ptr<GaneshaServer>> start_server(const TransportContext& c,
//                                                         const std::filesystem::path& data)
//         override;                                   // GaneshaServer::start(options, timeout)
//     Result<Attached> attach_to(GuestOps& guest, GaneshaServer& server) override;  // mount
//     std::string idle_description() const override { return "nfs-ganesha"; }
//   };
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/storage/transport.h"

namespace wedge::storage {

// Where a served transport keeps one export's server files: the run folder, and leg<N>/ in it
// for the second RAID1 leg.
[[nodiscard]] inline std::filesystem::path served_work_dir(const std::filesystem::path& run_dir,
                                                           int export_index) {
  return export_index == 0 ? run_dir : run_dir / ("leg" + std::to_string(export_index));
}

template <class S>
class ServedTransport : public Transport {
 public:
  ~ServedTransport() override { (void)stop(); }

  Status start_host(const TransportContext& context) final {
    // Known before the server starts: a start that fails half way still has its data removed.
    data_ = data_in(context);
    WEDGE_TRY(server_, start_server(context, data_));
    return ok_status();
  }
  void adjust_vm(vm::VmSpec& spec) const final {
    if (server_) spec.host_ports.push_back(server_->guest_port());
  }
  Result<Attached> attach(GuestOps& guest) final {
    if (!server_) return make_error("{}: the host server was not started", name_);
    return attach_to(guest, *server_);
  }
  std::vector<Server*> servers() final {
    if (!server_) return {};
    return {server_.get()};
  }
  std::vector<std::filesystem::path> exports() const final {
    if (data_.empty()) return {};
    return {data_};
  }
  std::string describe() const final { return server_ ? server_->describe() : idle_description(); }
  Status stop() final { return server_ ? server_->stop() : ok_status(); }

 protected:
  explicit ServedTransport(std::string name) : name_(std::move(name)) {}

  // The data the guest writes to (an export file or folder) in the run's folders.
  [[nodiscard]] virtual std::filesystem::path data_in(const TransportContext& context) const = 0;
  // The server over that data, started and listening.
  [[nodiscard]] virtual Result<std::unique_ptr<S>> start_server(
      const TransportContext& context, const std::filesystem::path& data) = 0;
  // Makes the storage appear in the guest, from the running server.
  [[nodiscard]] virtual Result<Attached> attach_to(GuestOps& guest, S& server) = 0;
  // What describe() says before the server runs (the configured server's name).
  [[nodiscard]] virtual std::string idle_description() const = 0;

 private:
  std::string name_;
  std::unique_ptr<S> server_;
  std::filesystem::path data_;
};

}  // namespace wedge::storage
