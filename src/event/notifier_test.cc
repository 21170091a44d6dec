#include "event/notifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/unique_fd.h"

namespace keel::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
    char tmpl[] = "/tmp/keel-notifier-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  base::SteadyClock clock_;
  std::unique_ptr<Loop> loop_;
  std::string dir_;
};

TEST_F(NotifierTest, RunsTheScriptAndForgetsItWhenItEnds) {
  Notifier notifier(*loop_);
  const std::string out = dir_ + "/ran";
  notifier.run({{"/bin/sh", "-c", "echo \"$0\" > " + out, "arg"}, "", ""}, "test");
  const auto deadline = clock_.now() + seconds(20);
  while (notifier.running() > 0 && clock_.now() < deadline) {
    ASSERT_TRUE(loop_->runOnce(milliseconds(50)));
  }
  EXPECT_EQ(notifier.running(), 0u);
  std::ifstream in(out);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "arg");
}

TEST_F(NotifierTest, AMissingProgramIsLoggedNotRun) {
  Notifier notifier(*loop_);
  notifier.run({{dir_ + "/no-such-script"}, "", ""}, "test");
  EXPECT_EQ(notifier.running(), 0u);
}

TEST_F(NotifierTest, FifoLinesReachAReaderAndSkipAFifoWithout) {
  const std::string with_reader = dir_ + "/fifo1";
  const std::string without = dir_ + "/fifo2";
  ASSERT_EQ(::mkfifo(with_reader.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(without.c_str(), 0600), 0);
  base::UniqueFd reader(::open(with_reader.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader);
  writeFifoLine({without, "", dir_ + "/missing", with_reader}, "RS [10.0.0.2]:tcp:80 UP\n");
  char buf[64] = {};
  const ssize_t n = ::read(reader.get(), buf, sizeof buf - 1);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "RS [10.0.0.2]:tcp:80 UP\n");
}

}  // namespace
}  // namespace keel::event
