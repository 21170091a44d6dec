#include "check/checker_state.h"

#include <gtest/gtest.h>

namespace keel::check {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const base::TimePoint kT0 = base::TimePoint{} + seconds(1000);

model::CheckTiming timing(int retry, bool alpha = false) {
  model::CheckTiming t;
  t.connect_timeout = seconds(2);
  t.retry = retry;
  t.delay_before_retry = seconds(3);
  t.delay_loop = seconds(10);
  t.alpha = alpha;
  return t;
}

TEST(CheckerStateTest, FirstRunIsOneSecondPlusAShareOfTheWarmup) {
  CheckerState s(timing(1));  // warmup unset: delay_loop (10 s)
  EXPECT_EQ(s.firstRun(kT0, 0.0), kT0 + seconds(1));
  EXPECT_EQ(s.firstRun(kT0, 0.5), kT0 + seconds(6));
  EXPECT_EQ(s.firstRun(kT0, 1.0), kT0 + seconds(11));
  EXPECT_EQ(s.firstRun(kT0, 7.0), kT0 + seconds(11)) << "random clamped to [0, 1]";
  model::CheckTiming t = timing(1);
  t.warmup = seconds(0);
  EXPECT_EQ(CheckerState(t).firstRun(kT0, 0.9), kT0 + seconds(1));
  t.warmup = seconds(4);
  EXPECT_EQ(CheckerState(t).firstRun(kT0, 0.25), kT0 + seconds(2));
}

TEST(CheckerStateTest, StartsUpWithoutAlphaAndDownWithIt) {
  EXPECT_TRUE(CheckerState(timing(1)).up());
  EXPECT_FALSE(CheckerState(timing(1, true)).up());
  EXPECT_FALSE(CheckerState(timing(1)).hasRun());
}

TEST(CheckerStateTest, AtStartOneFailureIsEnough) {
  CheckerState s(timing(3));
  const CheckDecision d = s.onResult(false, kT0);
  EXPECT_EQ(d.transition, std::optional<bool>(false));
  EXPECT_EQ(d.log, CheckLog::Failed) << "no retries were made";
  EXPECT_EQ(d.next_run, kT0 + seconds(10));
  EXPECT_FALSE(s.up());
}

TEST(CheckerStateTest, FirstSuccessLogsWithoutTransitionWhenAlreadyUp) {
  CheckerState s(timing(1));
  const CheckDecision d = s.onResult(true, kT0);
  EXPECT_EQ(d.transition, std::nullopt);
  EXPECT_EQ(d.log, CheckLog::Success);
  EXPECT_EQ(d.next_run, kT0 + seconds(10));
  const CheckDecision again = s.onResult(true, kT0 + seconds(10));
  EXPECT_EQ(again.log, CheckLog::None) << "an UP checker's successes are silent";
}

TEST(CheckerStateTest, DownAfterRetryPlusOneConsecutiveFailures) {
  for (int retry = 0; retry <= 4; ++retry) {
    SCOPED_TRACE(retry);
    CheckerState s(timing(retry));
    base::TimePoint now = kT0;
    ASSERT_TRUE(s.onResult(true, now).log == CheckLog::Success);
    for (int i = 0; i < retry; ++i) {
      now += seconds(10);
      const CheckDecision d = s.onResult(false, now);
      EXPECT_EQ(d.transition, std::nullopt) << "failure " << i + 1;
      EXPECT_EQ(d.log, CheckLog::None);
      EXPECT_EQ(d.next_run, now + seconds(3)) << "retry after delay_before_retry";
      EXPECT_TRUE(s.up());
      EXPECT_EQ(s.retriesDone(), i + 1);
    }
    now += seconds(3);
    const CheckDecision d = s.onResult(false, now);
    EXPECT_EQ(d.transition, std::optional<bool>(false));
    EXPECT_EQ(d.log, retry > 0 ? CheckLog::FailedAfterRetries : CheckLog::Failed);
    EXPECT_EQ(d.next_run, now + seconds(10));
    EXPECT_FALSE(s.up());
    EXPECT_EQ(s.retriesDone(), 0);
  }
}

TEST(CheckerStateTest, ASuccessBetweenFailuresResetsTheRetryCount) {
  CheckerState s(timing(2));
  ASSERT_EQ(s.onResult(true, kT0).log, CheckLog::Success);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::nullopt);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::nullopt);
  EXPECT_EQ(s.onResult(true, kT0).next_run, kT0 + seconds(10));
  EXPECT_EQ(s.retriesDone(), 0);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::nullopt);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::nullopt);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::optional<bool>(false));
}

TEST(CheckerStateTest, OneSuccessBringsADownCheckerUp) {
  CheckerState s(timing(2));
  ASSERT_EQ(s.onResult(false, kT0).transition, std::optional<bool>(false));
  const CheckDecision d = s.onResult(true, kT0 + seconds(10));
  EXPECT_EQ(d.transition, std::optional<bool>(true));
  EXPECT_EQ(d.log, CheckLog::Success);
  EXPECT_EQ(d.next_run, kT0 + seconds(20));
  EXPECT_TRUE(s.up());
}

TEST(CheckerStateTest, WhileDownFailuresAreSilentAndPollingContinues) {
  CheckerState s(timing(1));
  ASSERT_EQ(s.onResult(false, kT0).transition, std::optional<bool>(false));
  base::TimePoint now = kT0;
  for (int i = 0; i < 6; ++i) {
    now += seconds(1);
    const CheckDecision d = s.onResult(false, now);
    EXPECT_EQ(d.transition, std::nullopt);
    EXPECT_EQ(d.log, CheckLog::None);
    EXPECT_FALSE(d.log_attempt_failure);
    EXPECT_GT(d.next_run, now);
  }
}

TEST(CheckerStateTest, AlphaNeedsOneSuccessAndLogsTheFirstFailure) {
  CheckerState s(timing(3, true));
  const CheckDecision fail = s.onResult(false, kT0);
  EXPECT_EQ(fail.transition, std::nullopt) << "already DOWN";
  EXPECT_EQ(fail.log, CheckLog::Failed);
  EXPECT_EQ(fail.next_run, kT0 + seconds(10)) << "no retries at start-up";
  const CheckDecision ok = s.onResult(true, kT0 + seconds(10));
  EXPECT_EQ(ok.transition, std::optional<bool>(true));
  EXPECT_TRUE(s.up());
}

TEST(CheckerStateTest, AlphaFirstSuccessGoesUp) {
  CheckerState s(timing(1, true));
  const CheckDecision d = s.onResult(true, kT0);
  EXPECT_EQ(d.transition, std::optional<bool>(true));
  EXPECT_EQ(d.log, CheckLog::Success);
}

TEST(CheckerStateTest, LogAllFailuresFlagsEveryFailedAttemptWhileUp) {
  model::CheckTiming t = timing(2);
  t.log_all_failures = true;
  CheckerState s(t);
  ASSERT_EQ(s.onResult(true, kT0).log, CheckLog::Success);
  EXPECT_TRUE(s.onResult(false, kT0).log_attempt_failure);
  EXPECT_TRUE(s.onResult(false, kT0).log_attempt_failure);
  EXPECT_TRUE(s.onResult(false, kT0).log_attempt_failure);
  EXPECT_FALSE(s.up());
  EXPECT_FALSE(s.onResult(false, kT0).log_attempt_failure) << "DOWN: keepalived stays quiet";
  EXPECT_FALSE(CheckerState(timing(2)).onResult(false, kT0).log_attempt_failure);
}

TEST(CheckerStateTest, SubSecondTimersKeepMicrosecondPrecision) {
  model::CheckTiming t = timing(1);
  t.delay_loop = milliseconds(250);
  t.delay_before_retry = std::chrono::microseconds(1500);
  CheckerState s(t);
  EXPECT_EQ(s.onResult(true, kT0).next_run, kT0 + milliseconds(250));
  EXPECT_EQ(s.onResult(false, kT0).next_run, kT0 + std::chrono::microseconds(1500));
  EXPECT_EQ(s.idleRun(kT0), kT0 + milliseconds(250));
}

TEST(CheckerStateTest, NegativeRetryActsAsZero) {
  CheckerState s(timing(-3));
  ASSERT_EQ(s.onResult(true, kT0).log, CheckLog::Success);
  EXPECT_EQ(s.onResult(false, kT0).transition, std::optional<bool>(false));
}

}  // namespace
}  // namespace keel::check
