// fo, ovf and twos: choices by weight, worked out by hand; twos also statistically.
#include <gtest/gtest.h>

#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::flow;
using testing::make;

std::optional<std::size_t> pickOnce(Scheduler& s, const std::vector<Dest>& d,
                                    std::uint64_t random = 0) {
  PickContext ctx;
  ctx.random = random;
  return s.pick(d, flow("10.0.0.1"), ctx);
}

TEST(FoTest, HighestWeightFirstOfEquals) {
  auto s = make("fo");
  std::vector<Dest> d = {dest(1, 2), dest(2, 5, 100), dest(3, 5), dest(4, 3)};
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d), 1u);  // counters do not matter
  d[1].overloaded = true;
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d), 2u);
  d[2].weight = 0;
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d), 3u);
  for (Dest& x : d) x.weight = 0;
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d), std::nullopt);
}

TEST(OvfTest, OverflowsOnceActiveExceedsWeight) {
  // A weight 5, B and C weight 3. A takes flows while active <= 5 (IPVS skips a server only
  // when activeconns > weight).
  auto s = make("ovf");
  std::vector<Dest> d = {dest(1, 5, 5), dest(2, 3, 1), dest(3, 3, 0)};
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d), 0u);
  // A at 6 > 5 overflows to the next heaviest, B (first of the two weight-3 servers).
  d[0].active = 6;
  EXPECT_EQ(pickOnce(*s, d), 1u);
  d[1].active = 4;
  EXPECT_EQ(pickOnce(*s, d), 2u);
  d[2].active = 4;
  EXPECT_EQ(pickOnce(*s, d), std::nullopt);
  // Overloaded (upper threshold) counts as full too.
  d[2].active = 0;
  d[2].overloaded = true;
  EXPECT_EQ(pickOnce(*s, d), std::nullopt);
}

TEST(TwosTest, DeterministicForAGivenRandomValue) {
  // Weights A=1, B=3, total 4; running sums [1, 4]. A 32-bit half r draws x = r * 4 / 2^32:
  // x = 0 -> A, x in 1..3 -> B. The low half is the first draw, the high half the second.
  // A idle (0/1), B 2 active (512/3): A is lighter.
  auto s = make("twos");
  std::vector<Dest> d = {dest(1, 1, 0), dest(2, 3, 2)};
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d, 0x0000'0000'0000'0000ull), 0u);  // A, A
  EXPECT_EQ(pickOnce(*s, d, 0xFFFF'FFFF'0000'0000ull), 0u);  // A, B -> A lighter
  EXPECT_EQ(pickOnce(*s, d, 0x0000'0000'FFFF'FFFFull), 0u);  // B, A -> A lighter
  EXPECT_EQ(pickOnce(*s, d, 0xC000'0000'8000'0000ull), 1u);  // x = 2 and 3: B, B
  // Equal load (both idle): the first draw wins the tie.
  d[1].active = 0;
  EXPECT_EQ(pickOnce(*s, d, 0x0000'0000'8000'0000ull), 1u);  // B, A -> B
  EXPECT_EQ(pickOnce(*s, d, 0x8000'0000'0000'0000ull), 0u);  // A, B -> A
}

TEST(TwosTest, NeverDrawsUnavailable) {
  auto s = make("twos");
  std::vector<Dest> d = {dest(1, 0), dest(2, 4, 9), dest(3, 7, 0, 0, true)};
  s->update(d);
  for (std::uint64_t r : {0ull, ~0ull, 0x1234'5678'9abc'def0ull}) EXPECT_EQ(pickOnce(*s, d, r), 1u);
  d[1].weight = 0;
  s->update(d);
  EXPECT_EQ(pickOnce(*s, d, 42), std::nullopt);
}

// A 64-bit LCG (Knuth's MMIX constants) feeding PickContext::random.
struct Lcg {
  std::uint64_t state = 1;
  std::uint64_t next() { return state = state * 6364136223846793005ull + 1442695040888963407ull; }
};

TEST(TwosTest, LowerLoadWinsMoreOftenAndWeightsCount) {
  // Equal weights, A idle, B busy: A wins unless both draws are B, P = 1 - 1/4 = 3/4.
  auto s = make("twos");
  std::vector<Dest> d = {dest(1, 1, 0), dest(2, 1, 10)};
  s->update(d);
  Lcg lcg;
  int a = 0;
  for (int i = 0; i < 10000; ++i) a += pickOnce(*s, d, lcg.next()) == 0u;
  EXPECT_GT(a, 7200);
  EXPECT_LT(a, 7800);
  // Both idle, B weight 3: ties go to the first draw, which is B with P = 3/4.
  std::vector<Dest> w = {dest(1, 1), dest(2, 3)};
  s->update(w);
  int b = 0;
  for (int i = 0; i < 10000; ++i) b += pickOnce(*s, w, lcg.next()) == 1u;
  EXPECT_GT(b, 7200);
  EXPECT_LT(b, 7800);
}

}  // namespace
}  // namespace keel::lb
