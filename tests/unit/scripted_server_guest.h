// A server guest for transport tests (server_guest.h) made of a ScriptedGuest: records pauses,
// resumes and balloon targets; ScriptedServerGuests boots such guests over one scripted guest
// (`server`, whose files answer the target's setup) and records every spec asked for.
//
//   ScriptedServerGuests guests;
//   WEDGE_CHECK(transport->start_host({&scenario, dir, {}, &guests}));
//   EXPECT_EQ(guests.specs[0].ports, std::vector<int>{4420});
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/storage/server_guest.h"
#include "tests/unit/scripted_guest.h"

namespace wedge::storage {

// A server guest made of a scripted guest: records pauses and resumes.
class ScriptedServerGuest final : public ServerGuest {
 public:
  ScriptedServerGuest(GuestOps* ops, int* pauses, int* resumes)
      : ops_(ops), pauses_(pauses), resumes_(resumes) {}
  GuestOps& ops() override { return *ops_; }
  // Where QEMU would forward guest_port: nothing listens there, and no test connects.
  int host_port(int guest_port) const override { return guest_port + 30000; }
  Status pause() override {
    ++*pauses_;
    return ok_status();
  }
  Status resume() override {
    ++*resumes_;
    return ok_status();
  }
  Status set_memory_mib(int mib) override {
    balloon.push_back(mib);
    return ok_status();
  }
  int memory_mib() const override { return 256; }
  Status dump_blocked_tasks() override { return ok_status(); }
  bool healthy() override { return true; }
  std::optional<std::string> kernel_death() const override { return death; }
  std::string describe() const override { return "scripted-server"; }
  std::vector<int> balloon;          // every balloon target set, in order
  std::optional<std::string> death;  // what kernel_death() answers

 private:
  GuestOps* ops_;
  int* pauses_;
  int* resumes_;
};

class ScriptedServerGuests final : public ServerGuests {
 public:
  Result<std::unique_ptr<ServerGuest>> boot(const ServerGuestSpec& spec) override {
    specs.push_back(spec);
    return std::unique_ptr<ServerGuest>(new ScriptedServerGuest(&server, &pauses, &resumes));
  }
  // The target's setup reads these: nothing mounted yet, its modules loaded, port 4420 (0x1144)
  // listening; tests add what their target needs.
  ScriptedGuest server{
      {{"/proc/mounts", ""},
       {"/proc/sys/kernel/osrelease", "6.1.0-57-cloud-amd64\n"},
       {"/proc/modules", "virtio_blk 1 0 - Live 0x0\nnvmet_tcp 1 0 - Live 0x0\n"},
       {"/proc/net/tcp",
        "  sl  local_address rem_address   st\n"
        "   0: 00000000:1144 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"}}};
  std::vector<ServerGuestSpec> specs;
  int pauses = 0;
  int resumes = 0;
};

}  // namespace wedge::storage
