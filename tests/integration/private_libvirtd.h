// A libvirtd of the test's own (private_libvirtd.sh), for tests that stop, kill or restart the
// daemon while a run goes on, without touching the system libvirtd other runs use. wedge is
// pointed at it through $WEDGE_LIBVIRT_URI.
//
//   PrivateLibvirtd daemon(dir() / "libvirt");
//   ASSERT_TRUE(daemon.start().ok());
//   ::setenv("WEDGE_LIBVIRT_URI", daemon.uri().c_str(), 1);
//   ASSERT_TRUE(daemon.stop_libvirtd(SIGTERM, 60s).ok());
//   ASSERT_TRUE(daemon.start_libvirtd().ok());
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/result.h"

namespace wedge::test {

class PrivateLibvirtd {
 public:
  explicit PrivateLibvirtd(std::filesystem::path dir) : dir_(std::move(dir)) {}
  PrivateLibvirtd(const PrivateLibvirtd&) = delete;
  PrivateLibvirtd& operator=(const PrivateLibvirtd&) = delete;
  ~PrivateLibvirtd() {
    // Guests a failed test left on this daemon must not outlive it.
    auto names = run_command({"virsh", "-c", uri(), "list", "--name"}, std::chrono::seconds(10));
    if (names && names->status.success()) {
      size_t at = 0;
      while (at < names->out.size()) {
        size_t end = names->out.find('\n', at);
        std::string name = names->out.substr(at, end == std::string::npos ? end : end - at);
        if (!name.empty()) {
          (void)run_command({"virsh", "-c", uri(), "destroy", name}, std::chrono::seconds(30));
        }
        if (end == std::string::npos) break;
        at = end + 1;
      }
    }
    (void)stop_libvirtd(SIGTERM, std::chrono::seconds(60));
    (void)stop_pid("virtlogd", SIGTERM, std::chrono::seconds(10));
  }

  [[nodiscard]] std::string uri() const {
    return "qemu:///system?socket=" + (dir_ / "sock" / "libvirt-sock").string();
  }

  [[nodiscard]] Status start() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const std::string script =
        std::string(WEDGE_SOURCE_DIR) + "/tests/integration/private_libvirtd.sh";
    WEDGE_CHECK(
        run_checked({"unshare", "-m", "--propagation", "private", "sh", script, dir_.string()},
                    std::chrono::seconds(60))
            .context("starting a private libvirtd"));
    return wait_for_socket();
  }

  // Starts libvirtd again inside the namespace (kept alive by virtlogd).
  [[nodiscard]] Status start_libvirtd() {
    WEDGE_TRY(pid_t logd, pid_of("virtlogd"));
    WEDGE_CHECK(
        run_checked({"nsenter", "-m", "-t", std::to_string(logd), "libvirtd", "-d", "-p",
                     (dir_ / "libvirtd.pid").string(), "-f", (dir_ / "libvirtd.conf").string()},
                    std::chrono::seconds(60))
            .context("restarting the private libvirtd"));
    return wait_for_socket();
  }

  // Sends sig to libvirtd and waits until it is gone (SIGTERM may take a while).
  [[nodiscard]] Status stop_libvirtd(int sig, std::chrono::milliseconds timeout) {
    return stop_pid("libvirtd", sig, timeout);
  }

  [[nodiscard]] Result<pid_t> pid_of(const std::string& daemon) const {
    WEDGE_TRY(std::string text, read_file(dir_ / (daemon + ".pid")));
    return static_cast<pid_t>(std::stol(text));
  }

 private:
  Status stop_pid(const std::string& daemon, int sig, std::chrono::milliseconds timeout) {
    auto pid = pid_of(daemon);
    if (!pid || ::kill(*pid, 0) != 0) return ok_status();
    ::kill(*pid, sig);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::kill(*pid, 0) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return make_error("{} (pid {}) still running after {} ms", daemon, *pid, timeout.count());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::error_code ec;
    std::filesystem::remove(dir_ / (daemon + ".pid"), ec);
    return ok_status();
  }

  Status wait_for_socket() {
    for (int i = 0; i < 300; ++i) {
      auto out = run_command({"virsh", "-c", uri(), "version"}, std::chrono::seconds(10));
      if (out && out->status.success()) return ok_status();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return make_error("the private libvirtd at {} does not answer", uri());
  }

  std::filesystem::path dir_;
};

}  // namespace wedge::test
