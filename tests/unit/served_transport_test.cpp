// ServedTransport tests: what every transport with a host server gets from the shared shape
// (port forwarding, servers for faults, exports to clean up, descriptions, stop), over a fake
// server, so no daemon starts.
#include "harness/storage/served_transport.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/unit/scripted_guest.h"

namespace wedge::storage {
namespace {

class FakeServer final : public Server {
 public:
  explicit FakeServer(int* stops) : stops_(stops) {}
  int guest_port() const override { return 10809; }
  bool healthy() override { return true; }
  ServerStats stats() const override { return {}; }
  std::string describe() const override { return "fake-server 1.0"; }
  Status stop() override {
    ++*stops_;
    return ok_status();
  }
  Status signal(int) override { return ok_status(); }
  Status kill() override { return ok_status(); }
  Status restart(std::chrono::milliseconds) override { return ok_status(); }
  TcpRelay& relay() override { std::abort(); }  // no test here asks for a fault
  std::filesystem::path log_path() const override { return {}; }

 private:
  int* stops_;
};

// A served transport whose server start succeeds or fails as told.
class FakeTransport final : public ServedTransport<FakeServer> {
 public:
  FakeTransport(bool start_fails, int* stops)
      : ServedTransport("fake"), start_fails_(start_fails), stops_(stops) {}
  ImageNeeds image_needs() const override { return {}; }

  std::filesystem::path data_seen;

 private:
  std::filesystem::path data_in(const TransportContext& context) const override {
    return context.run_dir / "export.img";
  }
  Result<std::unique_ptr<FakeServer>> start_server(const TransportContext&,
                                                   const std::filesystem::path& data) override {
    data_seen = data;
    if (start_fails_) return make_error("fake-server: bind: address in use");
    return std::make_unique<FakeServer>(stops_);
  }
  Result<Attached> attach_to(GuestOps&, FakeServer& server) override {
    return Attached{"/dev/fake" + std::to_string(server.guest_port()), ""};
  }
  std::string idle_description() const override { return "fake-server"; }

  bool start_fails_;
  int* stops_;
};

TransportContext context_in(const std::filesystem::path& run_dir) {
  TransportContext c;
  c.run_dir = run_dir;
  return c;
}

TEST(ServedTransport, BeforeStartNothingIsServed) {
  int stops = 0;
  FakeTransport t(false, &stops);
  ScriptedGuest guest;
  EXPECT_EQ(t.describe(), "fake-server");
  EXPECT_TRUE(t.servers().empty());
  EXPECT_TRUE(t.exports().empty());
  vm::VmSpec spec;
  t.adjust_vm(spec);
  EXPECT_TRUE(spec.host_ports.empty());
  auto attached = t.attach(guest);
  ASSERT_FALSE(attached.ok());
  EXPECT_EQ(attached.error().message(), "fake: the host server was not started");
  EXPECT_TRUE(t.stop().ok());
  EXPECT_EQ(stops, 0);
}

TEST(ServedTransport, StartedServerIsForwardedListedDescribedAndStopped) {
  int stops = 0;
  {
    FakeTransport t(false, &stops);
    ASSERT_TRUE(t.start_host(context_in("/run/x")).ok());
    EXPECT_EQ(t.data_seen, "/run/x/export.img");
    vm::VmSpec spec;
    t.adjust_vm(spec);
    EXPECT_EQ(spec.host_ports, std::vector<int>{10809});
    ASSERT_EQ(t.servers().size(), 1u);
    EXPECT_EQ(t.servers()[0]->guest_port(), 10809);
    EXPECT_EQ(t.exports(), std::vector<std::filesystem::path>{"/run/x/export.img"});
    EXPECT_EQ(t.describe(), "fake-server 1.0");
    ScriptedGuest guest;
    auto attached = t.attach(guest);
    ASSERT_TRUE(attached.ok()) << attached.error().message();
    EXPECT_EQ(attached->device, "/dev/fake10809");
    EXPECT_TRUE(t.stop().ok());
    EXPECT_EQ(stops, 1);
  }
  EXPECT_EQ(stops, 2) << "the transport stops its server again when it goes (stop is idempotent)";
}

// A server that failed half way may have made its export: the runner still finds it to remove.
TEST(ServedTransport, FailedStartKeepsItsDataForCleanup) {
  int stops = 0;
  FakeTransport t(true, &stops);
  auto started = t.start_host(context_in("/run/y"));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(), "fake-server: bind: address in use");
  EXPECT_EQ(t.exports(), std::vector<std::filesystem::path>{"/run/y/export.img"});
  EXPECT_TRUE(t.servers().empty());
  EXPECT_EQ(t.describe(), "fake-server");
}

}  // namespace
}  // namespace wedge::storage
