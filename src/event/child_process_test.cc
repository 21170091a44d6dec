#include "event/child_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace keel::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A process is gone once it no longer exists or is a zombie nobody reaps (orphans here may be
// reparented to an init that does not reap).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field;
  std::string comm;
  std::string state;
  if (!(stat >> pid_field >> comm >> state)) return true;
  return state == "Z";
}

class ChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
  }

  // Runs `argv` to its end (or a generous deadline that only keeps a broken test from hanging).
  std::optional<ChildExit> run(ChildOptions options) {
    std::optional<ChildExit> result;
    auto child =
        ChildProcess::spawn(*loop_, std::move(options), [&](const ChildExit& e) { result = e; });
    EXPECT_TRUE(child) << child.error().str();
    if (!child) return std::nullopt;
    auto deadline = clock_.now() + seconds(20);
    while (!result && clock_.now() < deadline) EXPECT_TRUE(loop_->runOnce(milliseconds(100)));
    return result;
  }

  base::SteadyClock clock_;
  std::unique_ptr<Loop> loop_;
};

TEST_F(ChildProcessTest, ReportsExitCode) {
  auto e = run({.argv = {"sh", "-c", "exit 3"}});
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->exited);
  EXPECT_EQ(e->code, 3);
  EXPECT_FALSE(e->timed_out);
  EXPECT_FALSE(e->success());
  EXPECT_TRUE(run({.argv = {"true"}})->success());
}

TEST_F(ChildProcessTest, ReportsDeathBySignal) {
  auto e = run({.argv = {"sh", "-c", "kill -USR1 $$"}});
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->exited);
  EXPECT_EQ(e->signal, SIGUSR1);
}

TEST_F(ChildProcessTest, GivenEnvironmentReplacesKeeldsOwn) {
  ::setenv("KEEL_TEST_INHERITED", "1", 1);
  EXPECT_TRUE(run({.argv = {"sh", "-c", "test \"$X\" = y && test -z \"$KEEL_TEST_INHERITED\""},
                   .env = {"X=y", "PATH=/usr/bin:/bin"}})
                  ->success());
  EXPECT_TRUE(run({.argv = {"sh", "-c", "test \"$KEEL_TEST_INHERITED\" = 1"}})->success());
}

// The loop blocks SIGTERM for itself; the child must still die of SIGTERM (not of the SIGKILL
// that follows the grace), and so must the background job in its process group. The timeout
// leaves the shell a whole second to start its job, far more than it needs even when loaded.
TEST_F(ChildProcessTest, TimeoutTerminatesTheWholeGroupWithADefaultSignalMask) {
  ASSERT_TRUE(loop_->onSignal(SIGTERM, [] {}));
  char path[] = "/tmp/keel-child-test-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto e = run({.argv = {"sh", "-c", std::string("sleep 30 & echo $! > ") + path + "; wait"},
                .timeout = seconds(1),
                .kill_grace = seconds(10)});
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->timed_out);
  EXPECT_FALSE(e->exited);
  EXPECT_EQ(e->signal, SIGTERM);
  EXPECT_GE(e->runtime, seconds(1));
  pid_t background = 0;
  std::ifstream(path) >> background;
  std::remove(path);
  ASSERT_GT(background, 0) << "the shell had not started its background job when timed out";
  auto deadline = clock_.now() + seconds(10);
  while (!gone(background) && clock_.now() < deadline)
    ASSERT_TRUE(loop_->runOnce(milliseconds(10)));
  EXPECT_TRUE(gone(background));
}

// The timeout gives the shell a second to install its trap before SIGTERM comes.
TEST_F(ChildProcessTest, SigtermIgnoredMeansSigkillAfterTheGrace) {
  auto e = run({.argv = {"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"},
                .timeout = seconds(1),
                .kill_grace = milliseconds(200)});
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->timed_out);
  EXPECT_EQ(e->signal, SIGKILL);
  EXPECT_GE(e->runtime, milliseconds(1200));
}

// A descriptor that lost close-on-exec (as one a library opened without it) still stays out of
// the script: the child closes every fd above 2.
TEST_F(ChildProcessTest, TheChildHoldsNoDescriptorAboveStderr) {
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  base::UniqueFd r(fds[0]);
  base::UniqueFd w(fds[1]);
  ASSERT_EQ(::fcntl(w.get(), F_SETFD, 0), 0);  // inheritable now
  const std::string fd = std::to_string(w.get());
  EXPECT_TRUE(run({.argv = {"sh", "-c", "test -e /proc/$$/fd/2 && test ! -e /proc/$$/fd/" + fd}})
                  ->success());
}

TEST_F(ChildProcessTest, MissingProgramIsAnErrorNotACrash) {
  auto child =
      ChildProcess::spawn(*loop_, {.argv = {"/nonexistent/keel-script"}}, [](const ChildExit&) {});
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().sys_errno, ENOENT);
  EXPECT_FALSE(ChildProcess::spawn(*loop_, {}, [](const ChildExit&) {}));
}

TEST_F(ChildProcessTest, DestroyingARunningChildKillsAndReapsIt) {
  pid_t pid = 0;
  {
    auto child = ChildProcess::spawn(*loop_, {.argv = {"sleep", "30"}}, [](const ChildExit&) {
      ADD_FAILURE() << "no exit callback after destruction";
    });
    ASSERT_TRUE(child);
    pid = (*child)->pid();
    EXPECT_TRUE((*child)->running());
    auto listed = ChildProcess::running(clock_.now());
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_EQ(listed[0].pid, pid);
    EXPECT_EQ(listed[0].program, "sleep");
  }
  EXPECT_TRUE(gone(pid));
  EXPECT_TRUE(ChildProcess::running(clock_.now()).empty());
  EXPECT_TRUE(loop_->runOnce(milliseconds(50)));
}

}  // namespace
}  // namespace keel::event
