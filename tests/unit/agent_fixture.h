// The fixture the agent tests share: the real wedge-agent binary in serve mode on this host,
// connected to a unix socket the test listens on, with sysrq redirected to a file and its log
// printed when a test fails. Tests speak the protocol through send() and wait_for<Message>().
//
//   class AgentServe : public AgentFixture { void SetUp() override { start_agent(); } };
//   send(enc_.encode_ping(req));  auto done = wait_for<Done>(...);
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent/decoder.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::agent {

class AgentFixture : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  void SetUp() override {
    auto dir = TempDir::create("wedge-agent-test");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
    socket_path_ = dir_->path() / "agent.sock";
    sysrq_path_ = dir_->path() / "sysrq";
  }

  void TearDown() override {
    if (HasFailure() && dir_) {
      auto log = read_file(dir_->path() / "agent.log");
      if (log.ok()) std::cerr << "agent log:\n" << *log;
    }
  }

  // Starts the agent with extra serve options and accepts its connection.
  void start_agent(const std::vector<std::string>& extra = {}) {
    listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(listen_fd_.valid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(socket_path_.string().size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, socket_path_.c_str());
    ASSERT_EQ(::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listen_fd_.get(), 1), 0);
    std::vector<std::string> argv = {WEDGE_AGENT_BINARY,    "serve",        "--connect",
                                     socket_path_.string(), "--sysrq-path", sysrq_path_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    SpawnOptions options;
    options.stdout_path = dir_->path() / "agent.log";
    auto child = ChildProcess::spawn(argv, options);
    ASSERT_TRUE(child.ok()) << child.error().message();
    agent_.emplace(std::move(*child));
    pollfd pfd{listen_fd_.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 5000), 1) << "the agent never connected";
    conn_.reset(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(conn_.valid());
  }

  void send(const std::string& frame) {
    size_t done = 0;
    while (done < frame.size()) {
      ssize_t n = ::write(conn_.get(), frame.data() + done, frame.size() - done);
      ASSERT_GT(n, 0) << "write to agent: " << std::strerror(errno);
      done += static_cast<size_t>(n);
    }
  }

  // Reads until a message of type T satisfying pred arrives (or was already received and not
  // yet taken); messages of other kinds stay queued for later waits.
  template <class T>
  std::optional<T> wait_for(std::function<bool(const T&)> pred = nullptr,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      for (auto it = received_.begin(); it != received_.end(); ++it) {
        if (const T* m = std::get_if<T>(&*it); m && (!pred || pred(*m))) {
          T found = *m;
          received_.erase(it);
          return found;
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{conn_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      ssize_t n = ::read(conn_.get(), buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (std::optional<Message> m = decoder_.next()) received_.push_back(std::move(*m));
    }
  }

  std::optional<TempDir> dir_;
  std::filesystem::path socket_path_, sysrq_path_;
  UniqueFd listen_fd_, conn_;
  std::optional<ChildProcess> agent_;
  Decoder decoder_;
  CommandEncoder enc_;
  std::deque<Message> received_;
};

}  // namespace wedge::agent
