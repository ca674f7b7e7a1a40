// Implementation of raid1.h: both legs start and attach like a single export, then mdadm
// builds the mirror from their devices.
#include "harness/storage/raid1.h"

#include "harness/storage/guest_driver.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace {

// md's mirror personality (built in, its max_queued_requests shows it in /sys/module).
const Driver kRaid1{"raid1"};

class Raid1 final : public Transport {
 public:
  Raid1(std::unique_ptr<Transport> leg0, std::unique_ptr<Transport> leg1) {
    legs_[0] = std::move(leg0);
    legs_[1] = std::move(leg1);
  }
  ~Raid1() override { (void)stop(); }

  ImageNeeds image_needs() const override {
    ImageNeeds needs = legs_[0]->image_needs();
    needs.add(legs_[1]->image_needs());
    needs.tools.push_back("mdadm");
    needs.drivers.push_back(kRaid1);
    return needs;
  }
  std::vector<std::string> host_programs() const override { return legs_[0]->host_programs(); }
  Status start_host(const TransportContext& context) override {
    for (auto& leg : legs_) WEDGE_CHECK(leg->start_host(context));
    return ok_status();
  }
  void adjust_vm(vm::VmSpec& spec) const override {
    for (const auto& leg : legs_) leg->adjust_vm(spec);
  }
  Result<Attached> attach(GuestOps& guest) override {
    std::string* devices = legs_devices_;
    for (int i = 0; i < 2; ++i) {
      auto attached = legs_[i]->attach(guest);
      if (!attached) return attached.error().context(fmt::format("attaching RAID1 leg {}", i));
      devices[i] = attached->device;
    }
    WEDGE_CHECK(ensure_driver(guest, kRaid1));
    WEDGE_TRY(auto mdadm, find_executable("mdadm"));
    // --assume-clean: both legs are fresh zeroes, so no initial resync competes with the
    // workload; --run: no questions.
    auto created =
        guest.run({mdadm.string(), "--create", kRaidDevice, "--level=1", "--raid-devices=2",
                   "--metadata=1.2", "--assume-clean", "--run", "--force", devices[0], devices[1]});
    if (!created) return created.error().context("assembling the RAID1 mirror");
    // Its state goes to setup.log: both legs active, in sync.
    auto detail = guest.run({mdadm.string(), "--detail", kRaidDevice});
    if (!detail) return detail.error();
    return Attached{kRaidDevice, ""};
  }
  std::vector<std::filesystem::path> exports() const override {
    auto paths = legs_[0]->exports();
    for (const auto& p : legs_[1]->exports()) paths.push_back(p);
    return paths;
  }
  std::vector<std::string> redundant_devices() const override {
    std::vector<std::string> names;
    for (const std::string& d : legs_devices_) {
      if (!d.empty()) names.push_back(d.substr(d.rfind('/') + 1));  // "nbd1", as the kernel says
    }
    return names;
  }
  std::vector<Server*> servers() override {
    std::vector<Server*> out;
    for (auto& leg : legs_) {
      for (Server* s : leg->servers()) out.push_back(s);
    }
    return out;
  }
  std::string describe() const override {
    return fmt::format("RAID1 over 2 x {}", legs_[0]->describe());
  }
  Status stop() override {
    Status first = ok_status();
    for (auto& leg : legs_) {
      Status s = leg->stop();
      if (!s && first) first = s;
    }
    return first;
  }

 private:
  std::unique_ptr<Transport> legs_[2];
  std::string legs_devices_[2];
};

}  // namespace

std::unique_ptr<Transport> make_raid1(std::unique_ptr<Transport> leg0,
                                      std::unique_ptr<Transport> leg1) {
  return std::make_unique<Raid1>(std::move(leg0), std::move(leg1));
}

}  // namespace wedge::storage
