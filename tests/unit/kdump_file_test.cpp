// Tests of the flattened-kdump converter on synthetic streams: records out of order, sparse
// gaps, truncation and bad headers.
#include "harness/vm/kdump_file.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;

std::string big_endian(int64_t value) {
  std::string out(8, '\0');
  auto bits = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
  return out;
}

std::string flat_header() {
  std::string header(kFlatSignature);
  header.resize(16, '\0');
  header += big_endian(1);  // type: flat header
  header += big_endian(1);  // version
  header.resize(kFlatHeaderSize, '\0');
  return header;
}

std::string record(int64_t offset, const std::string& data) {
  return big_endian(offset) + big_endian(static_cast<int64_t>(data.size())) + data;
}

const std::string kEnd = big_endian(-1) + big_endian(-1);

class KdumpFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-kdump-test");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  fs::path write(const std::string& name, const std::string& data) {
    fs::path path = dir_->path() / name;
    EXPECT_TRUE(write_file_atomic(path, data).ok());
    return path;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST(DumpFormat, TellsKdumpFlattenedAndOtherApart) {
  EXPECT_EQ(detect_dump_format("KDUMP   \x06\0\0\0"), DumpFormat::kKdump);
  EXPECT_EQ(detect_dump_format(flat_header().substr(0, 16)), DumpFormat::kFlattened);
  EXPECT_EQ(detect_dump_format("\x7f"
                               "ELF"),
            DumpFormat::kUnknown);
  EXPECT_EQ(detect_dump_format(""), DumpFormat::kUnknown);
  EXPECT_EQ(detect_dump_format("makedumpfile"), DumpFormat::kUnknown);  // NUL missing
}

TEST_F(KdumpFileTest, PlacesRecordsAtTheirOffsetsInAnyOrder) {
  std::string big(3 << 20, 'p');  // larger than one copy chunk
  fs::path flat = write("dump.flat", flat_header() + record(0, "KDUMP   ") + record(20, "tail") +
                                         record(8, "ab") + record(100, big) + kEnd);
  fs::path out = dir_->path() / "dump";
  auto done = unflatten_kdump(flat, out);
  ASSERT_TRUE(done.ok()) << done.error().message();
  auto text = read_file(out);
  ASSERT_TRUE(text.ok());
  std::string expected = "KDUMP   ab" + std::string(10, '\0') + "tail";
  expected.resize(100, '\0');
  expected += big;
  EXPECT_EQ(text->size(), expected.size());
  EXPECT_TRUE(*text == expected);
  EXPECT_EQ(detect_dump_format(*text), DumpFormat::kKdump);
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(KdumpFileTest, RejectsTruncatedStreamsAndRemovesOutput) {
  fs::path out = dir_->path() / "dump";
  std::string whole = flat_header() + record(0, "KDUMP   ") + record(8, "0123456789");

  fs::path no_end = write("no-end.flat", whole);
  auto done = unflatten_kdump(no_end, out);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().message(),
            fmt::format("unflattening {} into {}: ends at byte {} without its end record "
                        "(truncated?)",
                        no_end.string(), out.string(), whole.size()));
  EXPECT_FALSE(fs::exists(out));

  fs::path cut = write("cut.flat", whole.substr(0, whole.size() - 4));
  done = unflatten_kdump(cut, out);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message().find(fmt::format("truncated at byte {}", whole.size() - 4)),
            std::string::npos)
      << done.error().message();
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(KdumpFileTest, RejectsBadHeadersAndRecords) {
  fs::path out = dir_->path() / "dump";
  fs::path kdump = write("plain", "KDUMP   " + std::string(kFlatHeaderSize, '\0'));
  auto done = unflatten_kdump(kdump, out);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message().find("not a flattened makedumpfile stream"), std::string::npos);

  fs::path negative = write("neg.flat", flat_header() + big_endian(-5) + big_endian(4) + "abcd");
  done = unflatten_kdump(negative, out);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message().find(
                fmt::format("bad record at byte {}: offset -5, size 4", kFlatHeaderSize)),
            std::string::npos)
      << done.error().message();

  done = unflatten_kdump(dir_->path() / "missing.flat", out);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message().find("No such file or directory"), std::string::npos);
}

}  // namespace
}  // namespace wedge::vm
