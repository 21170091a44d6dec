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
  EXPECT_EQ(of({{false, 10, true}}).delta, 10);  // reverse: "down" counts as up
  EXPECT_TRUE(of({{true, 0, true}}).fault);
  const auto r = of({{true, 5, false}, {false, -3, false}, {true, 0, false}});
  EXPECT_EQ(r.delta, 2);
  EXPECT_FALSE(r.fault);
}

// keepalived 2.2.7's track_bfd (vrrp_track.c): the weight times -1 with reverse, never a swap of
// up and down.
TEST(TrackingTest, BfdWeightsFollowKeepalivedsRules) {
  auto bfd = [](bool up, int weight, bool reverse) {
    return of({bfdTracked(up, weight, reverse)});
  };
  EXPECT_TRUE(bfd(false, 0, false).fault);  // unweighted: FAULT while not Up
  EXPECT_FALSE(bfd(true, 0, false).fault);
  EXPECT_TRUE(bfd(true, 0, true).fault);  // reverse: FAULT while Up
  EXPECT_FALSE(bfd(false, 0, true).fault);
  EXPECT_EQ(bfd(true, 20, false).delta, 20);  // W > 0: +W while Up
  EXPECT_EQ(bfd(false, 20, false).delta, 0);
  EXPECT_EQ(bfd(true, 20, true).delta, -20);  // reversed: -W while Up
  EXPECT_EQ(bfd(false, 20, true).delta, 0);
  EXPECT_EQ(bfd(false, -30, false).delta, -30);  // W < 0: +W while down
  EXPECT_EQ(bfd(true, -30, false).delta, 0);
  EXPECT_EQ(bfd(false, -30, true).delta, 30);  // reversed: -W while down
  EXPECT_EQ(bfd(true, -30, true).delta, 0);
  for (const bool up : {false, true}) {
    for (const int w : {-30, 0, 20}) {
      for (const bool reverse : {false, true}) {
        EXPECT_FALSE(w != 0 && bfd(up, w, reverse).fault) << up << w << reverse;
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
