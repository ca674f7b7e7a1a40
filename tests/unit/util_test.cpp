// Unit tests for harness/util: Result context chaining, atomic writes, child processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/result.h"
#include "harness/util/text.h"

namespace wedge {
namespace {

using namespace std::chrono_literals;

Result<int> parse_port(std::string_view s) {
  if (s == "10809") return 10809;
  return make_error("not a port: {}", s);
}

Result<int> start_server(std::string_view s) {
  WEDGE_TRY(int port, parse_port(s));
  return port + 1;
}

TEST(Text, TrimEndDropsTrailingWhitespaceOrTheCharactersAsked) {
  EXPECT_EQ(trim_end("exit 1: no such file \r\n\t"), "exit 1: no such file");
  EXPECT_EQ(trim_end("  a b  "), "  a b") << "leading whitespace stays";
  EXPECT_EQ(trim_end(" \n\n"), "");
  EXPECT_EQ(trim_end(""), "");
  EXPECT_EQ(trim_end("pid 12,, ", " ,"), "pid 12");
}

TEST(Text, LinesOfKeepsEmptyLinesAndALastLineWithoutNewline) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(lines_of("a\n\nb\n"), (V{"a", "", "b"}));
  EXPECT_EQ(lines_of("a\nb"), (V{"a", "b"}));
  EXPECT_EQ(lines_of("\n"), (V{""}));
  EXPECT_TRUE(lines_of("").empty());
}

TEST(Result, CarriesValueOrContextualError) {
  EXPECT_EQ(*start_server("10809"), 10810);
  auto bad = start_server("x").context("starting nbd-server");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "starting nbd-server: not a port: x");
}

TEST(Files, AtomicWriteReplacesContent) {
  auto dir = TempDir::create("wedge-test");
  ASSERT_TRUE(dir.ok());
  auto path = dir->path() / "report.json";
  ASSERT_TRUE(write_file_atomic(path, "first").ok());
  ASSERT_TRUE(write_file_atomic(path, "second").ok());
  EXPECT_EQ(*read_file(path), "second");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir->path()), {}), 1);
}

// A swap file for NFS: every byte has a block (the kernel's swapon checks), private mode.
TEST(Files, AllocatedFileHasNoHoles) {
  auto dir = TempDir::create("wedge-test");
  ASSERT_TRUE(dir.ok());
  auto path = dir->path() / "swapfile";
  ASSERT_TRUE(create_allocated_file(path, 8 << 20).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 8 << 20);
  EXPECT_GE(st.st_blocks * 512, st.st_size);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Files, TempDirIsRemoved) {
  std::filesystem::path where;
  {
    auto dir = TempDir::create("wedge-test");
    ASSERT_TRUE(dir.ok());
    where = dir->path();
    ASSERT_TRUE(write_file_atomic(where / "f", "x").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(where));
}

TEST(Process, CapturesOutputAndExitCode) {
  auto out = run_command({"sh", "-c", "echo hi; echo oops >&2; exit 3"}, 5s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.code, 3);
  EXPECT_EQ(out->out, "hi\n");
  EXPECT_EQ(out->err, "oops\n");
  auto checked = run_checked({"sh", "-c", "echo oops >&2; exit 3"}, 5s);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("(exit 3): oops"), std::string::npos);
}

TEST(Process, TimeoutKillsTheCommand) {
  auto out = run_command({"sleep", "30"}, 200ms);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("timed out"), std::string::npos);
}

TEST(Process, MissingExecutableIsAnError) {
  auto child = ChildProcess::spawn({"wedge-no-such-program"});
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.error().message().find("not found"), std::string::npos);
}

TEST(Process, StopKillsForkedGrandchildren) {
  auto dir = TempDir::create("wedge-test");
  ASSERT_TRUE(dir.ok());
  auto pidfile = dir->path() / "pid";
  // The shell forks a sleeper and records its pid: stopping the group must kill it too.
  auto child = ChildProcess::spawn({"sh", "-c", "sleep 60 & echo $! > \"$0\"; wait", pidfile});
  ASSERT_TRUE(child.ok());
  pid_t grandchild = 0;
  for (int i = 0; i < 200 && grandchild == 0; ++i) {
    auto text = read_file(pidfile);
    if (text && !text->empty()) grandchild = std::stoi(*text);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GT(grandchild, 0);
  ASSERT_TRUE(child->signal_group(SIGSTOP).ok());
  auto status = child->stop(500ms);
  EXPECT_NE(status.signal, 0);
  // Dead means gone or a zombie waiting for whoever inherited it.
  bool dead = false;
  for (int i = 0; i < 100 && !dead; ++i) {
    auto stat = read_file(fmt::format("/proc/{}/stat", grandchild));
    dead = !stat || stat->find(") Z") != std::string::npos;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(dead) << "grandchild survived";
}

}  // namespace
}  // namespace wedge
