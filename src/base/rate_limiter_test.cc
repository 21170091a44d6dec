#include "base/rate_limiter.h"

#include <string>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

using std::chrono::seconds;

TEST(RateLimiterTest, BurstPerWindowPerCauseThenReportsSuppressed) {
  FakeClock clock;
  RateLimiter limiter(2, seconds(10));
  EXPECT_TRUE(limiter.admit("a", clock.now()).allowed);
  EXPECT_TRUE(limiter.admit("a", clock.now()).allowed);
  EXPECT_FALSE(limiter.admit("a", clock.now()).allowed);
  EXPECT_FALSE(limiter.admit("a", clock.now()).allowed);
  // Another cause has its own budget.
  EXPECT_TRUE(limiter.admit("b", clock.now()).allowed);

  clock.advance(seconds(9));
  EXPECT_FALSE(limiter.admit("a", clock.now()).allowed);
  clock.advance(seconds(1));
  auto d = limiter.admit("a", clock.now());
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.suppressed_before, 3u);
  EXPECT_EQ(limiter.admit("a", clock.now()).suppressed_before, 0u);
}

TEST(RateLimiterTest, ManyDistinctCausesDoNotGrowWithoutBound) {
  FakeClock clock;
  RateLimiter limiter(1, seconds(1));
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 1000; ++i)
      (void)limiter.admit(std::to_string(round * 1000 + i), clock.now());
    clock.advance(seconds(2));
  }
  (void)limiter.admit("last", clock.now());
  EXPECT_LE(limiter.causes(), 1001u);
}

}  // namespace
}  // namespace keel::base
