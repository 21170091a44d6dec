#include "check/checker.h"

#include <gtest/gtest.h>

#include "check/fake_probe_test_util.h"

namespace keel::check {
namespace {

using std::chrono::seconds;
using testing::FakeProbe;
using testing::FakeProbeLog;

model::Checker tcpChecker(int retry) {
  model::Checker c;
  c.kind = model::TcpCheck{};
  c.timing.connect_timeout = seconds(2);
  c.timing.retry = retry;
  c.timing.delay_before_retry = seconds(3);
  c.timing.delay_loop = seconds(10);
  c.timing.warmup = seconds(4);
  return c;
}

class CheckerTest : public testing::FakeLoopTest {
 protected:
  std::unique_ptr<Checker> make(const model::Checker& config) {
    return std::make_unique<Checker>(
        *loop_, config, std::make_unique<FakeProbe>(probe_),
        [this](const CheckDecision& d, const ProbeResult&) { decisions_.push_back(d); });
  }
  std::shared_ptr<FakeProbeLog> probe_ = std::make_shared<FakeProbeLog>();
  std::vector<CheckDecision> decisions_;
};

TEST_F(CheckerTest, FirstAttemptAfterBootstrapAndWarmupWithConnectTimeoutDeadline) {
  auto checker = make(tcpChecker(1));
  const base::TimePoint t0 = clock_.now();
  checker->start(0.5);  // 1 s + 0.5 * 4 s
  clock_.advance(seconds(3) - std::chrono::microseconds(1));
  EXPECT_TRUE(probe_->deadlines.empty());
  clock_.advance(std::chrono::microseconds(1));
  ASSERT_EQ(probe_->deadlines.size(), 1u);
  EXPECT_EQ(probe_->deadlines[0], t0 + seconds(3) + seconds(2));
  EXPECT_TRUE(checker->running());
}

TEST_F(CheckerTest, RunsEveryDelayLoopAfterSuccessAndRetriesAfterFailure) {
  auto checker = make(tcpChecker(1));
  checker->start(0.0);
  clock_.advance(seconds(1));
  probe_->answer(true);
  ASSERT_EQ(decisions_.size(), 1u);
  clock_.advance(seconds(10));
  ASSERT_EQ(probe_->deadlines.size(), 2u);
  probe_->answer(false, "refused");
  EXPECT_TRUE(checker->up()) << "one retry left";
  EXPECT_EQ(checker->lastReason(), "refused");
  clock_.advance(seconds(3));
  ASSERT_EQ(probe_->deadlines.size(), 3u);
  probe_->answer(false, "refused");
  EXPECT_FALSE(checker->up());
  ASSERT_EQ(decisions_.back().transition, std::optional<bool>(false));
  clock_.advance(seconds(10));
  ASSERT_EQ(probe_->deadlines.size(), 4u);
  probe_->answer(true);
  EXPECT_TRUE(checker->up());
  EXPECT_EQ(decisions_.back().transition, std::optional<bool>(true));
  EXPECT_EQ(checker->lastReason(), "");
}

// keeld out of descriptors says nothing about the real server: not a failure (even with no retry
// left), not a success; the next attempt is a delay_loop later, as keepalived reschedules.
TEST_F(CheckerTest, NoDescriptorIsNoVerdictAndTheAttemptComesAgainADelayLoopLater) {
  auto checker = make(tcpChecker(0));
  checker->start(0.0);
  clock_.advance(seconds(1));
  ASSERT_EQ(probe_->deadlines.size(), 1u);
  probe_->answerNoDescriptor();
  EXPECT_TRUE(checker->up());
  EXPECT_FALSE(checker->state().hasRun());
  EXPECT_TRUE(decisions_.empty());
  EXPECT_EQ(checker->noDescriptor(), 1u);
  clock_.advance(seconds(10) - std::chrono::microseconds(1));
  EXPECT_EQ(probe_->deadlines.size(), 1u);
  clock_.advance(std::chrono::microseconds(1));
  ASSERT_EQ(probe_->deadlines.size(), 2u);
  probe_->answer(false, "refused");  // a real failure still counts
  EXPECT_FALSE(checker->up());
  EXPECT_EQ(decisions_.size(), 1u);
}

TEST_F(CheckerTest, RecordsHowLongTheLastAttemptTook) {
  auto checker = make(tcpChecker(1));
  checker->start(0.0);
  EXPECT_EQ(checker->lastDuration(), std::nullopt);
  clock_.advance(seconds(1));
  clock_.advance(std::chrono::milliseconds(250));
  probe_->answer(true);
  EXPECT_EQ(checker->lastDuration(), std::optional<base::Duration>(std::chrono::milliseconds(250)));
}

TEST_F(CheckerTest, NoAttemptStartsWhileOneRuns) {
  auto checker = make(tcpChecker(1));
  checker->start(0.0);
  clock_.advance(seconds(1));
  clock_.advance(seconds(2));  // at the deadline the probe has not answered: nothing new starts
  EXPECT_EQ(probe_->deadlines.size(), 1u);
  probe_->answer(true);
  EXPECT_EQ(decisions_.size(), 1u);
}

TEST_F(CheckerTest, AProbeThatNeverAnswersIsAbandonedAsAFailure) {
  auto checker = make(tcpChecker(0));
  checker->start(0.0);
  clock_.advance(seconds(1));
  clock_.advance(seconds(2) + Checker::kDeadlineGrace);
  ASSERT_EQ(decisions_.size(), 1u);
  EXPECT_EQ(probe_->cancels, 1);
  EXPECT_FALSE(checker->up());
  EXPECT_EQ(checker->lastReason(), "no result before the deadline");
  EXPECT_FALSE(probe_->running());
}

TEST_F(CheckerTest, PauseAbandonsTheAttemptAndKeepsStateUntilResume) {
  auto checker = make(tcpChecker(1));
  checker->start(0.0);
  clock_.advance(seconds(1));
  ASSERT_TRUE(probe_->running());
  checker->pause();
  EXPECT_EQ(probe_->cancels, 1);
  EXPECT_FALSE(probe_->running());
  clock_.advance(seconds(60));
  EXPECT_EQ(probe_->deadlines.size(), 1u) << "no attempts while paused";
  EXPECT_TRUE(checker->up());
  checker->resume();
  clock_.advance(seconds(10));
  EXPECT_EQ(probe_->deadlines.size(), 2u) << "the next tick runs again";
}

TEST_F(CheckerTest, MiscCheckDeadlineIsMiscTimeoutElseDelayLoop) {
  model::Checker misc = tcpChecker(0);
  misc.kind = model::MiscCheck{};
  EXPECT_EQ(attemptTimeout(misc), base::Duration(seconds(10)));
  std::get<model::MiscCheck>(misc.kind).timeout = seconds(7);
  EXPECT_EQ(attemptTimeout(misc), base::Duration(seconds(7)));
  EXPECT_EQ(attemptTimeout(tcpChecker(0)), base::Duration(seconds(2)));
}

TEST_F(CheckerTest, DestroyingARunningCheckerCancelsItsProbe) {
  auto checker = make(tcpChecker(1));
  checker->start(0.0);
  clock_.advance(seconds(1));
  checker.reset();
  EXPECT_EQ(probe_->cancels, 1);
  EXPECT_TRUE(probe_->destroyed);
}

}  // namespace
}  // namespace keel::check
