#include "vrrp/tracking.h"

#include <gtest/gtest.h>

#include <vector>

namespace keel::vrrp {
namespace {

TrackingResult of(std::vector<TrackedState> items, std::vector<TrackedFile> files = {}) {
  return aggregate(items, files);
}

TEST(TrackingTest, WeightsFollowKeepalivedsRules) {
  EXPECT_FALSE(of({{true, 0, false}}).fault);
  EXPECT_TRUE(of({{false, 0, false}}).fault);    // weight 0: FAULT while down
  EXPECT_EQ(of({{true, 10, false}}).delta, 10);  // +W while up
  EXPECT_EQ(of({{false, 10, false}}).delta, 0);
  EXPECT_EQ(of({{false, -20, false}}).delta, -20);  // -W while down
  EXPECT_EQ(of({{true, -20, false}}).delta, 0);
  EXPECT_TRUE(of({{true, 0, true}}).fault);  // weight 0 reverse: FAULT while up
  EXPECT_FALSE(of({{false, 0, true}}).fault);
  const auto r = of({{true, 5, false}, {false, -3, false}, {true, 0, false}});
  EXPECT_EQ(r.delta, 2);
  EXPECT_FALSE(r.fault);
}

// keepalived 2.2.7 (vrrp_track.c) multiplies a weight by -1 with reverse, for interfaces,
// scripts and BFD sessions alike; it never swaps up and down for a weighted tracker.
TEST(TrackingTest, ReverseNegatesTheWeightAndNeverSwapsUpAndDown) {
  auto one = [](bool up, int weight, bool reverse) { return of({{up, weight, reverse}}); };
  EXPECT_EQ(one(true, 20, true).delta, -20);   // W > 0 reversed: -W while up
  EXPECT_EQ(one(false, 20, true).delta, 0);    // and nothing while down
  EXPECT_EQ(one(false, -30, true).delta, 30);  // W < 0 reversed: +|W| while down
  EXPECT_EQ(one(true, -30, true).delta, 0);
  for (const bool up : {false, true}) {
    for (const int w : {-30, 20}) {
      for (const bool reverse : {false, true}) {
        EXPECT_FALSE(one(up, w, reverse).fault) << up << w << reverse;
        // Reversing only flips the sign of what the tracker contributes.
        EXPECT_EQ(one(up, w, reverse).delta, -one(up, w, !reverse).delta) << up << w;
      }
    }
  }
}

TEST(TrackingTest, FilesMultiplyAndFaultBelowMinus253) {
  EXPECT_EQ(of({}, {{3, 2, false}}).delta, 6);
  EXPECT_EQ(of({}, {{3, 2, true}}).delta, -6);
  EXPECT_TRUE(of({}, {{1, 0, false}}).fault);
  EXPECT_FALSE(of({}, {{0, 0, false}}).fault);
  EXPECT_FALSE(of({}, {{-253, 1, false}}).fault);
  EXPECT_TRUE(of({}, {{-254, 1, false}}).fault);
  EXPECT_EQ(of({}, {{1000000, 100, false}}).delta, 1000);  // bounded, clamped later anyway
}

TEST(ScriptVerdictTest, FirstResultDecidesThenRiseAndFall) {
  ScriptVerdict v(2, 3);
  EXPECT_FALSE(v.known());
  EXPECT_TRUE(v.record(true));  // the first result decides at once
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.record(false));
  EXPECT_FALSE(v.record(false));
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.record(true));  // a success breaks the failure streak
  EXPECT_FALSE(v.record(false));
  EXPECT_FALSE(v.record(false));
  EXPECT_TRUE(v.record(false));  // fall = 3 consecutive failures
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.record(true));
  EXPECT_TRUE(v.record(true));  // rise = 2
  EXPECT_TRUE(v.ok());
}

TEST(ScriptVerdictTest, AFailingFirstRunIsBadAtOnce) {
  ScriptVerdict v(1, 1);
  EXPECT_TRUE(v.record(false));
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(v.record(true));
  EXPECT_TRUE(v.ok());
}

}  // namespace
}  // namespace keel::vrrp
