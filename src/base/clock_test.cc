#include "base/clock.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClockTest, AdvanceFiresDueTimersInDeadlineOrderAtTheirDeadlines) {
  FakeClock clock;
  const TimePoint t0 = clock.now();
  std::vector<std::pair<std::string, Duration>> fired;
  auto record = [&](std::string name) {
    return [&fired, &clock, t0, name] { fired.emplace_back(name, clock.now() - t0); };
  };
  clock.runAfter(seconds(3), record("c"));
  clock.runAfter(seconds(1), record("a"));
  clock.runAfter(seconds(2), record("b"));
  clock.runAfter(seconds(9), record("late"));

  clock.advance(seconds(5));

  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[0], std::make_pair(std::string("a"), Duration(seconds(1))));
  EXPECT_EQ(fired[1], std::make_pair(std::string("b"), Duration(seconds(2))));
  EXPECT_EQ(fired[2], std::make_pair(std::string("c"), Duration(seconds(3))));
  EXPECT_EQ(clock.now() - t0, seconds(5));
  EXPECT_EQ(clock.pendingTimers(), 1u);
}

TEST(FakeClockTest, EqualDeadlinesFireInInsertionOrder) {
  FakeClock clock;
  std::string order;
  for (char c : std::string("xyz")) clock.runAfter(seconds(1), [&order, c] { order += c; });
  clock.advance(seconds(1));
  EXPECT_EQ(order, "xyz");
}

TEST(FakeClockTest, TimersAddedByCallbacksInsideTheWindowFire) {
  FakeClock clock;
  const TimePoint t0 = clock.now();
  std::vector<Duration> ticks;
  std::function<void()> tick = [&] {
    ticks.push_back(clock.now() - t0);
    if (ticks.size() < 10) clock.runAfter(milliseconds(100), tick);
  };
  clock.runAfter(milliseconds(100), tick);
  clock.advance(milliseconds(450));
  ASSERT_EQ(ticks.size(), 4u);
  EXPECT_EQ(ticks.back(), milliseconds(400));
  clock.advance(seconds(10));
  EXPECT_EQ(ticks.size(), 10u);
  EXPECT_EQ(ticks.back(), milliseconds(1000));
}

TEST(FakeClockTest, CancelledTimerNeverFires) {
  FakeClock clock;
  bool fired = false;
  TimerId id = clock.runAfter(seconds(1), [&] { fired = true; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  clock.advance(seconds(2));
  EXPECT_FALSE(fired);
}

TEST(FakeClockTest, WallClockMovesWithMonotonicTime) {
  FakeClock clock;
  WallTime w0 = clock.wallNow();
  clock.advance(seconds(90));
  EXPECT_EQ(clock.wallNow() - w0, seconds(90));
}

TEST(TimerTest, RearmReplacesPendingTimerAndDestructionCancels) {
  FakeClock clock;
  int a = 0;
  int b = 0;
  {
    Timer timer(clock);
    timer.armAfter(seconds(1), [&] { ++a; });
    timer.armAfter(seconds(2), [&] { ++b; });
    EXPECT_EQ(clock.pendingTimers(), 1u);
    clock.advance(seconds(3));
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 1);
    EXPECT_FALSE(timer.armed());
    timer.armAfter(seconds(1), [&] { ++a; });
    EXPECT_TRUE(timer.armed());
  }
  EXPECT_EQ(clock.pendingTimers(), 0u);
  clock.advance(seconds(5));
  EXPECT_EQ(a, 0);
}

TEST(TimerTest, CallbackMayRearmItsOwnTimer) {
  FakeClock clock;
  Timer timer(clock);
  int fired = 0;
  std::function<void()> again = [&] {
    if (++fired < 3) timer.armAfter(seconds(1), again);
  };
  timer.armAfter(seconds(1), again);
  clock.advance(seconds(10));
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer.armed());
}

TEST(SteadyClockTest, NowIsMonotonicAndWallIsRecent) {
  SteadyClock clock;
  TimePoint a = clock.now();
  TimePoint b = clock.now();
  EXPECT_LE(a, b);
  EXPECT_GT(clock.wallNow().time_since_epoch(), std::chrono::hours(24 * 365 * 50));
  bool fired = false;
  clock.runAt(a, [&] { fired = true; });
  EXPECT_EQ(clock.runDue(), 1u);
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace keel::base
