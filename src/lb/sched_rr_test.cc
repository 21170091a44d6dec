// rr and wrr: exact pick sequences worked out by hand from IPVS's definitions.
#include <gtest/gtest.h>

#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::make;
using testing::picks;
using V = std::vector<int>;

TEST(RrTest, CyclesThroughTheListInOrder) {
  auto s = make("rr");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 7), (V{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RrTest, SkipsWeightZeroAndOverloaded) {
  // 1 has weight 0 and 3 is overloaded: the cycle is 0, 2, 0, 2 (weights otherwise ignored).
  auto s = make("rr");
  std::vector<Dest> d = {dest(1, 5), dest(2, 0), dest(3, 1), dest(4, 1, 0, 0, true)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 5), (V{0, 2, 0, 2, 0}));
}

TEST(RrTest, ContinuesAfterTheLastPickAndUpdateResets) {
  auto s = make("rr");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 2), (V{0, 1}));
  // Without update(), a destination becoming unavailable is simply skipped from the cursor on:
  // the cursor is after 1, 2 is skipped, so 0 comes next.
  d[2].overloaded = true;
  EXPECT_EQ(picks(*s, d, 2), (V{0, 1}));
  // update() puts the cursor back at the head.
  d[2].overloaded = false;
  s->update(d);
  EXPECT_EQ(picks(*s, d, 4), (V{0, 1, 2, 0}));
}

TEST(RrTest, NothingAvailable) {
  auto s = make("rr");
  std::vector<Dest> d = {dest(1, 0), dest(2, 3, 0, 0, true)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 2), (V{-1, -1}));
  std::vector<Dest> none;
  s->update(none);
  EXPECT_EQ(picks(*s, none, 1), (V{-1}));
}

TEST(WrrTest, InterleavedSequenceForWeights432) {
  // Weights A=4, B=3, C=2: gcd 1, max 4. The current weight cw starts at 0; wrapping to the head
  // lowers it by 1, and from 0 back to 4. Each pass picks everyone with weight >= cw:
  //   cw=4: A   cw=3: A B   cw=2: A B C   cw=1: A B C
  // so one period (sum of weights, 9 picks) is A A B A B C A B C, and 18 picks repeat it.
  auto s = make("wrr");
  std::vector<Dest> d = {dest(1, 4), dest(2, 3), dest(3, 2)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 18), (V{0, 0, 1, 0, 1, 2, 0, 1, 2, 0, 0, 1, 0, 1, 2, 0, 1, 2}));
}

TEST(WrrTest, StepsByTheGcd) {
  // Weights 4, 2: gcd 2, so cw takes 4, 2, 4, 2, ...: cw=4: A; cw=2: A B. Period A A B.
  auto s = make("wrr");
  std::vector<Dest> d = {dest(1, 4), dest(2, 2)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 6), (V{0, 0, 1, 0, 0, 1}));
}

TEST(WrrTest, SkipsWeightZeroAndOverloaded) {
  // Weights 2, 0, 1: cw=2: A; cw=1: A C (B never, weight 0). Period A A C.
  auto s = make("wrr");
  std::vector<Dest> d = {dest(1, 2), dest(2, 0), dest(3, 1)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 6), (V{0, 0, 2, 0, 0, 2}));

  // 4, 3, 2 with A overloaded: cw=4 picks nobody, cw=3: B, cw=2: B C, cw=1: B C.
  std::vector<Dest> o = {dest(1, 4, 0, 0, true), dest(2, 3), dest(3, 2)};
  s->update(o);
  EXPECT_EQ(picks(*s, o, 10), (V{1, 1, 2, 1, 2, 1, 1, 2, 1, 2}));
}

TEST(WrrTest, NothingAvailable) {
  auto s = make("wrr");
  std::vector<Dest> d = {dest(1, 0), dest(2, 4, 0, 0, true)};
  s->update(d);
  EXPECT_EQ(picks(*s, d, 3), (V{-1, -1, -1}));
}

TEST(WrrTest, ExplainShowsTheCurrentWeightWithoutMoving) {
  auto s = make("wrr");
  std::vector<Dest> d = {dest(1, 4), dest(2, 3), dest(3, 2)};
  s->update(d);
  const Flow f = testing::flow("10.0.0.1");
  EXPECT_EQ(s->explain(d, f),
            "weighted round robin: current weight 4 (max 4, step 1) -> 198.18.1.1:80 (active 0, "
            "inactive 0, weight 4)");
  EXPECT_EQ(s->explain(d, f), s->explain(d, f));
  EXPECT_EQ(picks(*s, d, 3), (V{0, 0, 1}));
}

}  // namespace
}  // namespace keel::lb
