#include "base/fd_budget.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

TEST(FdBudgetTest, TheDataPlaneGetsWhatTheConfiguredPartsLeave) {
  const FdShares s =
      planFdShares(1024, {.open_at_start = 20, .vrrp_instances = 2, .checkers = 10, .scripts = 3});
  EXPECT_EQ(s.base, 20 + kBaseSlack);
  EXPECT_EQ(s.control, kControlShare);
  EXPECT_EQ(s.vrrp, 2 * kVrrpPerInstance + kVrrpSlack);
  EXPECT_EQ(s.checkers, 10 * kCheckersPerChecker + kCheckersSlack);
  EXPECT_EQ(s.scripts, 3 * kScriptsPerScript + kScriptsSlack);
  EXPECT_EQ(s.base + s.control + s.vrrp + s.checkers + s.scripts + s.dataplane, 1024U);
  EXPECT_FALSE(s.tight);
  EXPECT_EQ(describe(s),
            "limit 1024: base 52, control 64, VRRP 16, checkers 36, scripts 38, BFD 0, mail 0, "
            "data plane 818");
}

TEST(FdBudgetTest, BfdSessionsAndAlertMailsHaveSharesTheDataPlaneCannotTake) {
  const FdShares s = planFdShares(1024, {.open_at_start = 20, .bfd_sessions = 3, .mail = true});
  EXPECT_EQ(s.bfd, 3 * kBfdPerSession + kBfdSlack);
  EXPECT_EQ(s.mail, kMailShare);
  EXPECT_EQ(s.base + s.control + s.vrrp + s.checkers + s.scripts + s.bfd + s.mail + s.dataplane,
            1024U);
  EXPECT_EQ(describe(s),
            "limit 1024: base 52, control 64, VRRP 0, checkers 0, scripts 32, BFD 11, mail 2, "
            "data plane 863");
}

TEST(FdBudgetTest, PartsThatAreNotConfiguredTakeNothing) {
  const FdShares s = planFdShares(4096, {.open_at_start = 10});
  EXPECT_EQ(s.vrrp, 0U);
  EXPECT_EQ(s.checkers, 0U);
  EXPECT_EQ(s.bfd, 0U);
  EXPECT_EQ(s.mail, 0U);
  EXPECT_EQ(s.dataplane, 4096 - (10 + kBaseSlack) - kControlShare - kScriptsSlack);
}

TEST(FdBudgetTest, ALimitTooLowForTheOthersLeavesTheDataPlaneNothingAndSaysSo) {
  const FdShares none = planFdShares(100, {.open_at_start = 20, .checkers = 10});
  EXPECT_EQ(none.dataplane, 0U);
  EXPECT_TRUE(none.tight);
  const FdShares little = planFdShares(240, {.open_at_start = 20, .checkers = 10});
  EXPECT_EQ(little.dataplane, 240 - 52 - 64 - 36 - 32);
  EXPECT_TRUE(little.tight);  // below kMinDataplane
}

TEST(FdBudgetTest, OpenDescriptorsCountsThisProcesssFds) {
  const std::size_t before = openDescriptors();
  ASSERT_GT(before, 2U);  // at least stdin, stdout, stderr
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(openDescriptors(), before + 1);
  ::close(fd);
  EXPECT_EQ(openDescriptors(), before);
}

}  // namespace
}  // namespace keel::base
