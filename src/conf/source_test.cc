#include "conf/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

namespace fs = std::filesystem;

class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-conf-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  fs::path dir_;
  Diagnostics diags_;
  SourceLimits limits_;
};

TEST_F(SourceTest, ReadsLinesAcceptingCrlfAndKeepingNumbers) {
  auto f = readSource(write("a.conf", "one\r\ntwo\n\nfour"), limits_, diags_);
  ASSERT_TRUE(f) << f.error().str();
  ASSERT_EQ(f->lines.size(), 4u);
  EXPECT_EQ(f->lines[0].text, "one");
  EXPECT_EQ(f->lines[3].number, 4);
  EXPECT_EQ(f->lines[3].text, "four");
  EXPECT_NE(f->inode, 0u);
  EXPECT_TRUE(diags_.empty());
}

TEST_F(SourceTest, BadLinesAreReportedAndDroppedNotTruncated) {
  std::string text = "ok\n";
  text += std::string("nul\0here\n", 9);
  text += "bad \xc3\x28 utf8\n";
  text += "overlong \xe0\x80\xaf\n";
  text += std::string(limits_.max_line_bytes + 1, 'x') + "\n";
  text += "last\n";
  auto f = readSource(write("b.conf", text), limits_, diags_);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->lines.size(), 2u);
  EXPECT_EQ(f->lines[1].number, 6);
  std::string path = (dir_ / "b.conf").string();
  EXPECT_EQ(diags_.renderAll(),
            path + ":2:4: error: NUL byte in line - ignoring\n" + path +
                ":3:5: error: invalid UTF-8 in line - ignoring\n" + path +
                ":4:10: error: invalid UTF-8 in line - ignoring\n" + path +
                ":5: error: line too long (4097 bytes, at most 4096) - ignoring\n");
}

TEST_F(SourceTest, RefusesWhatIsNotARegularFileWithoutReadingIt) {
  std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero"), dir_.string()}) {
    auto f = readSource(path, limits_, diags_);
    ASSERT_FALSE(f) << path;
    EXPECT_EQ(f.error().message, path + ": not a regular file");
  }
}

TEST_F(SourceTest, RefusesFilesOverTheSizeCapAndMissingFiles) {
  SourceLimits small{.max_file_bytes = 10};
  auto f = readSource(write("big.conf", std::string(11, 'a')), small, diags_);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, (dir_ / "big.conf").string() + ": too large (11 bytes, at most 10)");
  auto missing = readSource((dir_ / "nope.conf").string(), limits_, diags_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, base::ErrorCode::NotFound);
}

TEST(Utf8Test, ValidAndInvalidSequences) {
  EXPECT_EQ(firstInvalidUtf8Column("plain ascii"), 0);
  EXPECT_EQ(firstInvalidUtf8Column("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 0);
  EXPECT_EQ(firstInvalidUtf8Column("\xff"), 1);
  EXPECT_EQ(firstInvalidUtf8Column("ab\xc0\xaf"), 3);        // overlong '/'
  EXPECT_EQ(firstInvalidUtf8Column("\xed\xa0\x80"), 1);      // surrogate
  EXPECT_EQ(firstInvalidUtf8Column("\xf4\x90\x80\x80"), 1);  // above U+10FFFF
  EXPECT_EQ(firstInvalidUtf8Column("x\xe2\x82"), 2);         // truncated
}

}  // namespace
}  // namespace keel::conf
