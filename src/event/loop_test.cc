#include "event/loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <exception>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

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

// Raises `e` the way a library would (project code has no throw expressions).
template <class E>
[[noreturn]] void escape(E e) {
  std::rethrow_exception(std::make_exception_ptr(std::move(e)));
}

TEST_F(LoopTest, AnExceptionInAnyCallbackIsCountedAndTheLoopRunsOn) {
  Pipe p;
  int io = 0;
  ASSERT_TRUE(loop_->watch(p.r.get(), EPOLLIN, [&](std::uint32_t) {
    char c = 0;
    EXPECT_EQ(::read(p.r.get(), &c, 1), 1);
    if (++io == 1) escape(std::runtime_error("I/O"));
  }));
  ASSERT_TRUE(loop_->onSignal(SIGUSR1, [] { escape(std::out_of_range("signal")); }));
  std::vector<int> order;
  // The first due timer throws; the one due with it still fires in the same iteration.
  clock_.runAfter(milliseconds(0), [] { escape(std::logic_error("timer")); });
  clock_.runAfter(milliseconds(0), [&] { order.push_back(2); });
  loop_->post([] { escape(std::invalid_argument("posted")); });
  loop_->post([&] { order.push_back(1); });
  p.put();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_TRUE(runUntil([&] { return loop_->stats().callback_exceptions == 4; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  p.put();  // the watch that threw still works
  EXPECT_TRUE(runUntil([&] { return io == 2; }));
  EXPECT_EQ(loop_->stats().callback_exceptions, 4U);
  EXPECT_EQ(loop_->stats().fatal_exceptions, 0U);
  EXPECT_TRUE(loop_->fatalReason().empty());
}

TEST_F(LoopTest, OutOfMemoryHandsTheLoopToTheFatalHandlerThatStopsInOrder) {
  std::vector<std::string> seen;
  loop_->onFatal([&](const std::string& why) {
    seen.push_back(why);
    loop_->post([&] { seen.emplace_back("orderly stop ran"); });
    loop_->stop();
  });
  loop_->post([] { escape(std::bad_alloc()); });
  auto ran = loop_->run();
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.error().code, base::ErrorCode::State);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"out of memory in a posted callback", "orderly stop ran"}));
  EXPECT_EQ(loop_->fatalReason(), "out of memory in a posted callback");
  EXPECT_EQ(loop_->stats().fatal_exceptions, 1U);
}

TEST_F(LoopTest, AnUnknownExceptionWithoutAHandlerStopsTheLoopAtOnce) {
  clock_.runAfter(milliseconds(0), [] { escape(42); });
  int later = 0;
  clock_.runAfter(seconds(3600), [&] { ++later; });
  auto ran = loop_->run();  // returns although nobody called stop()
  ASSERT_FALSE(ran);
  EXPECT_EQ(loop_->fatalReason(), "an unknown exception in a timer callback");
  EXPECT_EQ(later, 0);
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
