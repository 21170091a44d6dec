#include "check/file_check.h"

#include <gtest/gtest.h>

#include <limits>

namespace keel::check {
namespace {

constexpr int kIntMin = std::numeric_limits<int>::min();
constexpr int kIntMax = std::numeric_limits<int>::max();

TEST(JudgeTrackFile, WeightZeroIsUpOnZeroOnly) {
  EXPECT_EQ(judgeTrackFile(0, 0, false), (FileVerdict{true, 0}));
  EXPECT_EQ(judgeTrackFile(1, 0, false), (FileVerdict{false, 0}));
  EXPECT_EQ(judgeTrackFile(-3, 0, false), (FileVerdict{false, 0}));
  // reverse: a non-zero value is the good one
  EXPECT_EQ(judgeTrackFile(0, 0, true), (FileVerdict{false, 0}));
  EXPECT_EQ(judgeTrackFile(7, 0, true), (FileVerdict{true, 0}));
}

TEST(JudgeTrackFile, WeightMultipliesTheValueIntoADelta) {
  EXPECT_EQ(judgeTrackFile(0, 5, false), (FileVerdict{true, 0}));
  EXPECT_EQ(judgeTrackFile(3, 5, false), (FileVerdict{true, 15}));
  EXPECT_EQ(judgeTrackFile(-3, 5, false), (FileVerdict{true, -15}));
  EXPECT_EQ(judgeTrackFile(3, 5, true), (FileVerdict{true, -15}));
  EXPECT_EQ(judgeTrackFile(3, -5, false), (FileVerdict{true, -15}));
}

TEST(JudgeTrackFile, DownAtOrBelowIntMinAndSaturatedAboveIntMax) {
  EXPECT_EQ(judgeTrackFile(kIntMin, 1, false), (FileVerdict{false, 0}));
  EXPECT_EQ(judgeTrackFile(kIntMin + 1LL, 1, false), (FileVerdict{true, kIntMin + 1}));
  EXPECT_EQ(judgeTrackFile(-2147483648LL, 1, true), (FileVerdict{true, kIntMax}));
  EXPECT_EQ(judgeTrackFile(1LL << 40, -1000, false), (FileVerdict{false, 0}));
  EXPECT_EQ(judgeTrackFile(1LL << 40, 1000, false), (FileVerdict{true, kIntMax}));
  // the 64-bit product itself overflows: only its sign counts
  EXPECT_EQ(judgeTrackFile(std::numeric_limits<std::int64_t>::max(), kIntMax, false),
            (FileVerdict{true, kIntMax}));
  EXPECT_EQ(judgeTrackFile(std::numeric_limits<std::int64_t>::min(), kIntMax, false),
            (FileVerdict{false, 0}));
  EXPECT_EQ(judgeTrackFile(std::numeric_limits<std::int64_t>::min(), kIntMax, true),
            (FileVerdict{true, kIntMax}));
}

}  // namespace
}  // namespace keel::check
