#include "app/process_setup.h"

#include <sys/resource.h>

#include <gtest/gtest.h>

namespace keel::app {
namespace {

TEST(ProcessSetupTest, TheDescriptorLimitIsRaisedToTheHardLimit) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 64) GTEST_SKIP() << "hard limit too low to lower the soft one";
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = raiseNoFileLimit();
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(raised) << raised.error().str();
  EXPECT_EQ(raised->before, 64U);
  EXPECT_EQ(raised->now, static_cast<std::size_t>(saved.rlim_max));
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  auto again = raiseNoFileLimit();  // already at the hard limit: nothing to do
  ASSERT_TRUE(again);
  EXPECT_EQ(again->before, again->now);
}

}  // namespace
}  // namespace keel::app
