// The agent's watch mode (what kind = "mke2fs" runs), in the real wedge-agent binary on the
// host: it refuses to start without exactly one thing to measure, and on an image file it
// reports the MiB the program dirtied with mke2fs's phase, forwards its output and exits as
// the program did.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kAgent = WEDGE_AGENT_BINARY;

TEST(AgentWatch, NeedsExactlyOneOfDeviceAndFile) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--", "/bin/true"},
        std::vector<std::string>{"--device", "/dev/null", "--file-mib", "4", "--", "/bin/true"},
        std::vector<std::string>{"--device", "null", "--", "/bin/true"},
        std::vector<std::string>{"--file-mib", "4", "--", "true"}}) {
    std::vector<std::string> argv = {kAgent, "watch"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = run_command(argv, 30s);
    ASSERT_TRUE(out.ok()) << out.error().message();
    EXPECT_EQ(out->status.code, 2) << args.front();
    EXPECT_NE(out->err.find("usage: wedge-agent watch"), std::string::npos) << out->err;
  }
}

// The last "progress DONE TOTAL MiB PHASE" line of the output.
std::string last_progress(const std::string& out) {
  std::istringstream lines(out);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (line.starts_with("progress ")) last = line;
  }
  return last;
}

// On an image file, progress is the MiB of page cache the program dirtied (its
// /proc/PID/io, then wait4's rusage once it has exited). The directory is under the build
// tree, a disk filesystem: tmpfs does not count dirtied pages.
TEST(AgentWatch, ImageFileProgressIsWhatTheProgramDirtied) {
  auto dir = TempDir::create("wedge-watch-test", fs::current_path());
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  fs::path image = dir->path() / "image";
  auto out = run_command({kAgent, "watch", "--file-mib", "16", "--", "/bin/dd", "if=/dev/zero",
                          "of=" + image.string(), "bs=1M", "count=8", "conv=fsync"},
                         60s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.code, 0) << out->out << out->err;
  EXPECT_EQ(last_progress(out->out), "progress 8 16 MiB starting") << out->out;
}

// A real mke2fs creating and formatting a 64 MiB image: its output is forwarded, the phase is
// its last "Phase:" line, and the total is the image's size.
TEST(AgentWatch, Mke2fsOutputAndPhaseAreForwarded) {
  auto mke2fs = find_executable("mke2fs");
  ASSERT_TRUE(mke2fs.ok()) << "e2fsprogs is installed by ci/setup.sh";
  auto dir = TempDir::create("wedge-watch-test", fs::current_path());
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  fs::path image = dir->path() / "mke2fs.img";
  auto out = run_command({kAgent, "watch", "--file-mib", "64", "--", mke2fs->string(), "-t", "ext4",
                          "-E", "lazy_itable_init=0,lazy_journal_init=0", image.string(), "64M"},
                         120s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.code, 0) << out->out << out->err;
  EXPECT_NE(out->out.find("Writing inode tables"), std::string::npos) << out->out;
  std::string last = last_progress(out->out);
  unsigned long long done = 0, total = 0;
  ASSERT_EQ(std::sscanf(last.c_str(), "progress %llu %llu MiB", &done, &total), 2) << out->out;
  EXPECT_EQ(total, 64u);
  EXPECT_LE(done, 64u);
  EXPECT_TRUE(last.ends_with(" Writing superblocks and filesystem accounting information")) << last;
  EXPECT_EQ(fs::file_size(image), 64u << 20);
}

// The program's exit status is watch's own.
TEST(AgentWatch, ExitsAsTheProgramDid) {
  auto out = run_command({kAgent, "watch", "--file-mib", "1", "--", "/bin/false"}, 30s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.code, 1);
  EXPECT_EQ(last_progress(out->out), "progress 0 1 MiB starting") << out->out;
}

}  // namespace
}  // namespace wedge
