// Where kernel I/O error messages say the error was (io_error_site.h), and the detector's
// io_error finding built from a real recording: an nbdkit error fault under a large-file write
// on ext4 over NBD (tests/testdata/console/nbdkit-error-ext4-journal-abort.log).
#include "harness/detect/io_error_site.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "harness/console/parser.h"
#include "harness/detect/detector.h"
#include "harness/util/files.h"

namespace wedge::detect {
namespace {

TEST(IoErrorSite, BlockLayerLineGivesDeviceSectorAndOp) {
  auto at = parse_io_error_site(
      "[   20.988843] I/O error, dev nbd0, sector 339712 op 0x1:(WRITE) flags 0x4000 phys_seg 1 "
      "prio class 2");
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, (IoErrorSite{"nbd0", 339712, "write", std::nullopt, std::nullopt}));
  auto read = parse_io_error_site("I/O error, dev vdb, sector 8 op 0x0:(READ) flags 0x0");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->op, "read");
  EXPECT_EQ(read->sector, 8u);
}

TEST(IoErrorSite, Ext4EndBioLineGivesInodeAndBlock) {
  auto at = parse_io_error_site(
      "EXT4-fs warning (device nbd0): ext4_end_bio:343: I/O error 10 writing to inode 12 "
      "starting block 42720)");
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, (IoErrorSite{"nbd0", std::nullopt, "write", 12, 42720}));
}

TEST(IoErrorSite, BufferLineGivesTheBlock) {
  auto at = parse_io_error_site("Buffer I/O error on device nbd0, logical block 41984");
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, (IoErrorSite{"nbd0", std::nullopt, "", std::nullopt, 41984}));
}

TEST(IoErrorSite, OtherLinesAndCutLinesAreNothingOrPartial) {
  EXPECT_FALSE(parse_io_error_site("block nbd0: Other side returned error (5)"));
  EXPECT_FALSE(parse_io_error_site("EXT4-fs warning (device nbd0): ext4_mb_generate_buddy"));
  EXPECT_FALSE(parse_io_error_site("I/O error, dev , sector 1"));
  // A line cut by the console's length bound keeps what it has.
  auto cut = parse_io_error_site("I/O error, dev nbd3, sector 99999999999999999999999999");
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->device, "nbd3");
  EXPECT_FALSE(cut->sector);
}

TEST(IoErrorSite, MergeFillsOnlyWhatIsMissingOnTheSameDevice) {
  IoErrorSite first{"nbd0", 339712, "write", std::nullopt, std::nullopt};
  EXPECT_TRUE(merge_io_error_site(first, {"nbd0", 1, "read", 12, 42720}));
  EXPECT_EQ(first, (IoErrorSite{"nbd0", 339712, "write", 12, 42720}));
  EXPECT_FALSE(merge_io_error_site(first, {"nbd0", 5, "read", 13, 1}));
  IoErrorSite other{"nbd1", std::nullopt, "", std::nullopt, std::nullopt};
  EXPECT_FALSE(merge_io_error_site(other, {"nbd0", 1, "write", 12, 42720}));
  EXPECT_FALSE(other.sector);
}

// The recorded run, through the console parser and the detector: one io_error finding on
// nbd0 at the first failed request's sector, naming the workload's file by its inode.
TEST(IoErrorSite, RecordedExt4AbortNamesTheFileTheSectorAndTheBlock) {
  auto text = read_file(std::filesystem::path(WEDGE_TESTDATA_DIR) / "console" /
                        "nbdkit-error-ext4-journal-abort.log");
  ASSERT_TRUE(text.ok());
  std::string log = text->substr(text->find("# ---\n") + 6);
  Detector d({.stall_s = 20, .heartbeat_lost_s = 10});
  d.arm(0);
  d.on_workload_file("/mnt/wedge/writer-7", 13);
  d.on_workload_file("/mnt/wedge/large-file", 12);
  for (const auto& e : console::parse_events(log)) d.on_console_event(e, 21);
  ASSERT_EQ(d.findings().size(), 1u);
  const reports::Finding& f = d.findings()[0];
  EXPECT_EQ(f.kind, "io_error");
  EXPECT_EQ(f.title, "I/O error on nbd0");
  ASSERT_TRUE(f.data);
  EXPECT_TRUE(f.data->from_kernel);
  EXPECT_EQ(f.data->device, "nbd0");
  EXPECT_EQ(f.data->sector, 339712u);
  EXPECT_EQ(f.data->what, "write");
  EXPECT_EQ(f.data->inode, 12u);
  EXPECT_EQ(f.data->block, 42720u);
  EXPECT_EQ(f.data->file, "/mnt/wedge/large-file");
  nlohmann::json j = reports::finding_json(f);
  EXPECT_EQ(j["data"]["source"], "kernel");
  EXPECT_EQ(j["data"]["device_offset"], 339712ull * 512);
  EXPECT_EQ(j["data"]["file"], "/mnt/wedge/large-file");
  EXPECT_FALSE(j["data"].contains("offset")) << "the file offset of a writeback error is unknown";
  EXPECT_EQ(d.verdict(), reports::Verdict::kIoError);
}

// The file may be announced after the error (the kernel's message raced the workload's line);
// it still names the finding. Unannounced inodes leave the file empty, never a guess.
TEST(IoErrorSite, FileAnnouncedLaterStillNamesItAndUnknownInodesStayUnnamed) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 10});
  d.arm(0);
  console::Event e{};
  e.kind = console::EventKind::kIoError;
  e.title = "I/O error on nbd0";
  e.detail =
      "EXT4-fs warning (device nbd0): ext4_end_bio:343: I/O error 10 writing to inode 12 "
      "starting block 42720)";
  d.on_console_event(e, 5);
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_EQ(d.findings()[0].data->file, "");
  d.on_workload_file("/mnt/wedge/other", 99);
  EXPECT_EQ(d.findings()[0].data->file, "");
  d.on_workload_file("/mnt/wedge/large-file", 12);
  EXPECT_EQ(d.findings()[0].data->file, "/mnt/wedge/large-file");
}

TEST(IoErrorSite, WorkloadFilesAreBounded) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 10});
  for (uint64_t i = 0; i < Detector::kMaxWorkloadFiles + 10; ++i) {
    d.on_workload_file("/mnt/wedge/f" + std::to_string(i), i + 100);
  }
  console::Event e{};
  e.kind = console::EventKind::kIoError;
  e.title = "I/O error on nbd0";
  e.detail = "EXT4-fs warning (device nbd0): ext4_end_bio:1: I/O error 10 writing to inode " +
             std::to_string(100 + Detector::kMaxWorkloadFiles + 5) + " starting block 1)";
  d.on_console_event(e, 5);
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_EQ(d.findings()[0].data->file, "") << "an inode past the bound was remembered";
}

}  // namespace
}  // namespace wedge::detect
