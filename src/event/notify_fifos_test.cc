#include "event/notify_fifos.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/unique_fd.h"
#include "event/notifier.h"

namespace keel::event {
namespace {

class NotifyFifosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-fifos-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static bool isFifo(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
  }

  std::string dir_;
};

TEST_F(NotifyFifosTest, AMissingFifoIsCreatedAndRemovedAtTheEnd) {
  const std::string path = dir_ + "/notify";
  {
    NotifyFifos fifos;
    fifos.apply({{path, "", ""}, {path, "", ""}});  // named twice: made once
    ASSERT_TRUE(isFifo(path));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    // A reader gets the lines keeld writes.
    base::UniqueFd reader(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(reader);
    writeFifoLine({path}, "INSTANCE \"VI_1\" MASTER 150\n");
    char buf[64] = {};
    EXPECT_EQ(::read(reader.get(), buf, sizeof buf - 1), 27);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(NotifyFifosTest, AReloadRemovesTheFifosItMadeAndNoLongerNamesOnly) {
  const std::string made = dir_ + "/made";
  const std::string theirs = dir_ + "/theirs";
  ASSERT_EQ(::mkfifo(theirs.c_str(), 0600), 0);
  NotifyFifos fifos;
  fifos.apply({{made, "", ""}, {theirs, "", ""}});
  EXPECT_EQ(fifos.created(), std::set<std::string>{made});
  fifos.apply({});
  EXPECT_FALSE(std::filesystem::exists(made));
  EXPECT_TRUE(isFifo(theirs)) << "a FIFO keeld did not make is never removed";
}

// A regular file at a FIFO's path is left as it is: writing a line would overwrite it.
TEST_F(NotifyFifosTest, ARegularFileIsNeitherReplacedNorWritten) {
  const std::string path = dir_ + "/file";
  std::ofstream(path) << "precious data\n";
  {
    NotifyFifos fifos;
    fifos.apply({{path, "", ""}});
    EXPECT_TRUE(fifos.created().empty());
    writeFifoLine({path}, "INSTANCE \"VI_1\" MASTER 150\n");
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "precious data\n");
}

}  // namespace
}  // namespace keel::event
