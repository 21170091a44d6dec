#include "event/track_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace keel::event {
namespace {

class TrackFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-track-file-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto loop = Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const char* name) const { return dir_ + "/" + name; }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }

  std::string dir_;
  base::FakeClock clock_;
  std::unique_ptr<Loop> loop_;
};

TEST_F(TrackFileTest, ReadsADecimalIntegerAndCountsAnythingElseAsZero) {
  write(path("a"), "  42\n");
  EXPECT_EQ(readTrackFile(path("a")), 42);
  write(path("a"), "-7");
  EXPECT_EQ(readTrackFile(path("a")), -7);
  write(path("a"), "up\n");
  EXPECT_EQ(readTrackFile(path("a")), 0);
  write(path("a"), "");
  EXPECT_EQ(readTrackFile(path("a")), 0);
  EXPECT_EQ(readTrackFile(path("missing")), 0);
}

TEST_F(TrackFileTest, InitWritesOnlyAMissingFileUnlessOverwrite) {
  ASSERT_TRUE(initTrackFile(path("a"), 5, false));
  EXPECT_EQ(readTrackFile(path("a")), 5);
  ASSERT_TRUE(initTrackFile(path("a"), 9, false));
  EXPECT_EQ(readTrackFile(path("a")), 5);
  ASSERT_TRUE(initTrackFile(path("a"), 9, true));
  EXPECT_EQ(readTrackFile(path("a")), 9);
  EXPECT_FALSE(initTrackFile(dir_ + "/no/such/dir", 1, false));
}

TEST_F(TrackFileTest, WatcherReportsEachPollsChangesOnce) {
  write(path("a"), "1");
  write(path("b"), "2");
  std::vector<std::vector<TrackFileChange>> heard;
  TrackFileWatcher w(*loop_, [&](const std::vector<TrackFileChange>& c) { heard.push_back(c); });
  w.setFiles({{"A", path("a")}, {"B", path("b")}});
  EXPECT_EQ(w.value("A"), 1);  // read at once, not reported
  EXPECT_EQ(w.value("B"), 2);
  EXPECT_EQ(w.value("C"), 0);
  write(path("a"), "10");
  write(path("b"), "20");
  clock_.advance(TrackFileWatcher::kInterval);
  ASSERT_EQ(heard.size(), 1u);
  ASSERT_EQ(heard[0].size(), 2u);
  EXPECT_EQ(heard[0][0].name, "A");
  EXPECT_EQ(heard[0][0].before, 1);
  EXPECT_EQ(heard[0][0].after, 10);
  EXPECT_EQ(heard[0][1].after, 20);
  clock_.advance(TrackFileWatcher::kInterval);  // nothing changed: nothing heard
  EXPECT_EQ(heard.size(), 1u);
  ::unlink(path("a").c_str());  // a removed file counts as 0
  clock_.advance(TrackFileWatcher::kInterval);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1][0].after, 0);
}

TEST_F(TrackFileTest, SetFilesKeepsKnownValuesAndStopsWhenEmpty) {
  write(path("a"), "1");
  int heard = 0;
  TrackFileWatcher w(*loop_, [&](const std::vector<TrackFileChange>&) { ++heard; });
  w.setFiles({{"A", path("a")}});
  write(path("a"), "3");
  w.setFiles({{"A", path("a")}});  // kept: the change is the next poll's
  EXPECT_EQ(w.value("A"), 1);
  clock_.advance(TrackFileWatcher::kInterval);
  EXPECT_EQ(heard, 1);
  w.setFiles({});
  write(path("a"), "4");
  clock_.advance(5 * TrackFileWatcher::kInterval);
  EXPECT_EQ(heard, 1);
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

}  // namespace
}  // namespace keel::event
