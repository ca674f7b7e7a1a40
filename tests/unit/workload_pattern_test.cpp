// Unit tests for what the file workloads write and print: the (file, offset, pass) pattern and
// its checks, the generic progress measure, and the finding lines the host turns into
// data_loss / io_error findings.
#include <gtest/gtest.h>

#include <vector>

#include "harness/agent/progress.h"
#include "workloads/agent/pattern.h"

namespace wedge {
namespace {

using agent::DataFinding;
using agent::Measure;

TEST(WorkloadPattern, EveryBlockChecksOnItsOwn) {
  const uint64_t id = guest::pattern_file_id("large-file");
  EXPECT_NE(id, guest::pattern_file_id("writer-0"));
  std::vector<char> block(8192);
  guest::pattern_fill(block.data(), block.size(), id, 1 << 20, 0);
  EXPECT_EQ(guest::pattern_first_mismatch(block.data(), block.size(), id, 1 << 20, 0), -1);
  // The same bytes are wrong at another offset, in another file, or another pass.
  EXPECT_EQ(guest::pattern_first_mismatch(block.data(), block.size(), id, 2 << 20, 0), 0);
  EXPECT_EQ(guest::pattern_first_mismatch(block.data(), block.size(), id + 1, 1 << 20, 0), 0);
  EXPECT_EQ(guest::pattern_first_mismatch(block.data(), block.size(), id, 1 << 20, 1), 0);
  // No word is zero: a hole reads back wrong.
  for (uint64_t off = 0; off < 1 << 16; off += 8) EXPECT_NE(guest::pattern_word(id, off, 0), 0u);
}

TEST(WorkloadPattern, CorruptionIsLocatedToItsBlocks) {
  const uint64_t id = guest::pattern_file_id("shared-file");
  std::vector<char> chunk(1 << 20);
  guest::pattern_fill(chunk.data(), chunk.size(), id, 0, 0);
  std::fill(chunk.begin() + 8192 + 100, chunk.begin() + 8192 + 5000, 'X');  // blocks 2 and 3
  int64_t bad = guest::pattern_first_mismatch(chunk.data(), chunk.size(), id, 0, 0);
  EXPECT_EQ(bad, 8192 + 96);
  EXPECT_EQ(guest::pattern_bad_run(chunk.data(), chunk.size(), static_cast<size_t>(bad), id, 0, 0),
            8192u);
}

TEST(WorkloadProgress, MeasureLines) {
  EXPECT_EQ(agent::parse_measure_line("progress 16 64"), (Measure{16, 64, "MiB", ""}));
  EXPECT_EQ(agent::parse_measure_line("progress 12 512 MiB write\n"),
            (Measure{12, 512, "MiB", "write"}));
  EXPECT_EQ(agent::parse_measure_line("progress 130 4096 MiB Writing inode tables"),
            (Measure{130, 4096, "MiB", "Writing inode tables"}));
  EXPECT_EQ(agent::parse_measure_line("progress 3 0 files"), (Measure{3, 0, "files", ""}));
  EXPECT_FALSE(agent::parse_measure_line("progress 65 64 MiB"));
  EXPECT_FALSE(agent::parse_measure_line("progress 1 64MiB"));
  EXPECT_FALSE(agent::parse_measure_line("progress 1 64 "));
  EXPECT_FALSE(agent::parse_measure_line("Writing inode tables: done"));
  // The hog's own parser stays strict about its two-number form.
  EXPECT_FALSE(agent::parse_progress_line("progress 12 512 MiB write"));
}

TEST(WorkloadProgress, FindingLines) {
  auto loss = agent::parse_finding_line(
      "finding data_loss file=/mnt/wedge/large-file offset=1048576 length=4096 what=mismatch\n");
  ASSERT_TRUE(loss);
  EXPECT_EQ(*loss,
            (DataFinding{"data_loss", "/mnt/wedge/large-file", 1048576, 4096, "", 0, "mismatch"}));
  EXPECT_EQ(agent::describe(*loss),
            "data lost in /mnt/wedge/large-file at offset 1048576, 4096 bytes (mismatch)");
  auto eio = agent::parse_finding_line(
      "finding io_error file=/mnt/wedge/writer-1 offset=0 length=1048576 syscall=write errno=5");
  ASSERT_TRUE(eio);
  EXPECT_EQ(eio->syscall, "write");
  EXPECT_EQ(eio->error, 5);
  EXPECT_EQ(agent::describe(*eio),
            "write /mnt/wedge/writer-1 at offset 0, 1048576 bytes: EIO (Input/output error)");
  auto short_read = agent::parse_finding_line(
      "finding data_loss file=/mnt/wedge/f offset=4096 length=8192 what=short_read");
  ASSERT_TRUE(short_read);
  EXPECT_EQ(short_read->what, "short read");
  EXPECT_FALSE(agent::parse_finding_line("finding hang file=/x"));
  EXPECT_FALSE(agent::parse_finding_line("finding data_loss offset=1"));
  EXPECT_FALSE(agent::parse_finding_line("finding data_loss file=/x offset=1x"));
  EXPECT_FALSE(agent::parse_finding_line("finding io_error file=/x colour=red"));
}

TEST(WorkloadProgress, FileLines) {
  auto f = agent::parse_file_line("file path=/mnt/wedge/large-file inode=12\n");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path, "/mnt/wedge/large-file");
  EXPECT_EQ(f->inode, 12u);
  auto spaced = agent::parse_file_line("file path=/mnt/wedge/a b inode=7");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->path, "/mnt/wedge/a b");
  EXPECT_FALSE(agent::parse_file_line("file path=/x inode=12x"));
  EXPECT_FALSE(agent::parse_file_line("file path= inode=3"));
  EXPECT_FALSE(agent::parse_file_line("file path=/x"));
  EXPECT_FALSE(agent::parse_file_line("progress 1 2"));
}

}  // namespace
}  // namespace wedge
