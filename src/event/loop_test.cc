#include "event/loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

namespace keel::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Pipe {
  Pipe() {
    std::array<int, 2> fds{};
    EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK), 0);
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
  void put() const { EXPECT_EQ(::write(w.get(), "x", 1), 1); }
  base::UniqueFd r;
  base::UniqueFd w;
};

class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
  }
  // Runs iterations until `done` or a generous deadline; the deadline only stops a broken test
  // from hanging, it is not what the test measures.
  template <class Pred>
  bool runUntil(Pred done) {
    auto deadline = clock_.now() + seconds(10);
    while (!done() && clock_.now() < deadline) EXPECT_TRUE(loop_->runOnce(milliseconds(100)));
    return done();
  }

  base::SteadyClock clock_;
  std::unique_ptr<Loop> loop_;
};

TEST_F(LoopTest, ReadableFdRunsItsCallback) {
  Pipe p;
  int calls = 0;
  ASSERT_TRUE(loop_->watch(p.r.get(), EPOLLIN, [&](std::uint32_t events) {
    EXPECT_TRUE(events & EPOLLIN);
    char c = 0;
    EXPECT_EQ(::read(p.r.get(), &c, 1), 1);
    ++calls;
  }));
  p.put();
  EXPECT_TRUE(runUntil([&] { return calls == 1; }));
  EXPECT_FALSE(loop_->watch(p.r.get(), EPOLLIN, [](std::uint32_t) {}));  // one watch per fd
}

TEST_F(LoopTest, CallbackUnwatchingAnotherFdSuppressesItsQueuedEvent) {
  Pipe a;
  Pipe b;
  int calls = 0;
  ASSERT_TRUE(loop_->watch(a.r.get(), EPOLLIN, [&](std::uint32_t) {
    ++calls;
    loop_->unwatch(a.r.get());
    loop_->unwatch(b.r.get());
  }));
  ASSERT_TRUE(loop_->watch(b.r.get(), EPOLLIN, [&](std::uint32_t) {
    ++calls;
    loop_->unwatch(a.r.get());
    loop_->unwatch(b.r.get());
  }));
  a.put();
  b.put();
  EXPECT_TRUE(runUntil([&] { return calls > 0; }));
  EXPECT_TRUE(loop_->runOnce(milliseconds(20)));
  EXPECT_EQ(calls, 1);
}

TEST_F(LoopTest, TimerFiresNoEarlierThanItsDeadline) {
  base::TimePoint start = clock_.now();
  base::TimePoint fired_at{};
  clock_.runAfter(milliseconds(30), [&] { fired_at = clock_.now(); });
  EXPECT_TRUE(runUntil([&] { return fired_at != base::TimePoint{}; }));
  EXPECT_GE(fired_at - start, milliseconds(30));
}

TEST_F(LoopTest, PostFromAnotherThreadWakesTheLoopAndStopEndsRun) {
  int ran = 0;
  std::thread t([&] {
    loop_->post([&] { ++ran; });
    loop_->stop();
  });
  ASSERT_TRUE(loop_->run());  // returns only because stop() was posted
  t.join();
  EXPECT_EQ(ran, 1);
}

TEST_F(LoopTest, SignalIsDeliveredAsALoopCallback) {
  int hups = 0;
  ASSERT_TRUE(loop_->onSignal(SIGHUP, [&] { ++hups; }));
  ASSERT_TRUE(loop_->onSignal(SIGUSR2, [] {}));
  ASSERT_EQ(::raise(SIGHUP), 0);  // blocked, so it waits in the signalfd instead of killing us
  EXPECT_TRUE(runUntil([&] { return hups == 1; }));
}

TEST(LoopFakeClockTest, WaitIsBoundedByTheNextTimer) {
  base::FakeClock clock;
  auto loop = Loop::create(clock);
  ASSERT_TRUE(loop);
  bool fired = false;
  clock.runAt(clock.now(), [&] { fired = true; });
  // The timer is already due, so this iteration must not block for the hour it is allowed.
  ASSERT_TRUE((*loop)->runOnce(std::chrono::hours(1)));
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace keel::event
