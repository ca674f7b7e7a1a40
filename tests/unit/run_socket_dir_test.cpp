// socket_dir.h: a run folder too deep for unix sockets gets its sockets through a short link,
// and a socket bound there lands in the run folder itself.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness/run/socket_dir.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;

// Binds a unix socket at path; true on success.
bool bind_unix_socket(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

TEST(SocketDir, ShortRunDirKeepsItsSocketsInPlace) {
  auto root = TempDir::create("wedge-socket-dir-test");
  ASSERT_TRUE(root.ok());
  std::optional<TempDir> link;
  auto path = agent_socket_path(root->path(), link);
  ASSERT_TRUE(path.ok()) << path.error().message();
  EXPECT_EQ(*path, root->path() / "agent.sock");
  EXPECT_FALSE(link.has_value());
}

TEST(SocketDir, DeepRunDirGetsAShortLinkToTheSameFolder) {
  auto root = TempDir::create("wedge-socket-dir-test");
  ASSERT_TRUE(root.ok());
  fs::path deep = root->path() / std::string(60, 'c') / std::string(40, 'r') / "r1";
  fs::create_directories(deep);
  ASSERT_GT((deep / "agent.gate-out.sock").string().size(), kMaxSocketPath);
  std::optional<TempDir> link;
  auto path = agent_socket_path(deep, link);
  ASSERT_TRUE(path.ok()) << path.error().message();
  ASSERT_TRUE(link.has_value());
  EXPECT_LE(path->parent_path().string().size() + 1 + kLongestSocketName, kMaxSocketPath);
  EXPECT_EQ(fs::canonical(path->parent_path()), fs::canonical(deep));
  ASSERT_TRUE(bind_unix_socket(*path)) << std::strerror(errno);
  EXPECT_TRUE(fs::is_socket(deep / "agent.sock")) << "the socket is not in the run folder";
  fs::path link_dir = link->path();
  link.reset();
  EXPECT_FALSE(fs::exists(link_dir)) << "the link outlived its owner";
  EXPECT_TRUE(fs::is_socket(deep / "agent.sock")) << "removing the link removed the run's files";
}

}  // namespace
}  // namespace wedge::run
