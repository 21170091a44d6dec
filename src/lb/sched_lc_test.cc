// lc, wlc, sed and nq: choices worked out by hand from overhead = active * 256 + inactive and
// sed's (active + 1) / weight.
#include <gtest/gtest.h>

#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::flow;
using testing::make;

std::optional<std::size_t> pickOnce(std::string_view name, const std::vector<Dest>& d) {
  auto s = make(name);
  s->update(d);
  return s->pick(d, flow("10.0.0.1"), {});
}

TEST(LcTest, LeastOverheadIgnoringWeight) {
  // Overheads: A 1*256 = 256, B 0*256 + 300 = 300, C 10 but weight 0, D 0 but overloaded.
  std::vector<Dest> d = {dest(1, 1, 1, 0), dest(2, 9, 0, 300), dest(3, 0, 0, 10),
                         dest(4, 1, 0, 0, true)};
  EXPECT_EQ(pickOnce("lc", d), 0u);
  // B drops to 255 inactive: 255 < 256.
  d[1].inactive = 255;
  EXPECT_EQ(pickOnce("lc", d), 1u);
}

TEST(LcTest, FirstOfEquals) {
  std::vector<Dest> d = {dest(1, 1, 0, 5), dest(2, 1, 0, 5), dest(3, 1, 0, 4)};
  EXPECT_EQ(pickOnce("lc", d), 2u);
  d[2].inactive = 5;
  EXPECT_EQ(pickOnce("lc", d), 0u);
}

TEST(WlcTest, LeastOverheadPerWeight) {
  // A: 256/1 = 256. B: (2*256 + 100)/3 = 612/3 = 204. By cross-multiplication 256*3 = 768 >
  // 612*1, so B is lighter although its overhead is larger.
  std::vector<Dest> d = {dest(1, 1, 1, 0), dest(2, 3, 2, 100)};
  EXPECT_EQ(pickOnce("wlc", d), 1u);
  EXPECT_EQ(pickOnce("lc", d), 0u);
  // B overloaded: only A is left.
  d[1].overloaded = true;
  EXPECT_EQ(pickOnce("wlc", d), 0u);
}

TEST(WlcTest, TiesGoToTheFirst) {
  // A: 256/1, B: 512/2: equal (256*2 == 512*1), A stays.
  std::vector<Dest> d = {dest(1, 1, 1, 0), dest(2, 2, 2, 0)};
  EXPECT_EQ(pickOnce("wlc", d), 0u);
  // One more inactive on A tips it: 257*2 = 514 > 512.
  d[0].inactive = 1;
  EXPECT_EQ(pickOnce("wlc", d), 1u);
}

TEST(SedTest, ExpectedDelayIgnoresInactive) {
  // sed: A (0+1)/1 = 1, B (1+1)/1 = 2 -> A even with 1000 inactive; wlc sees A 1000 vs B 256.
  std::vector<Dest> d = {dest(1, 1, 0, 1000), dest(2, 1, 1, 0)};
  EXPECT_EQ(pickOnce("sed", d), 0u);
  EXPECT_EQ(pickOnce("wlc", d), 1u);
}

TEST(SedNqTest, NqPrefersAnIdleServerSedDoesNot) {
  // A: weight 1, idle: (0+1)/1 = 1. B: weight 10, one active: (1+1)/10 = 0.2.
  // sed takes B (1*10 > 2*1); nq takes A because it has no active connection.
  std::vector<Dest> d = {dest(1, 1, 0, 0), dest(2, 10, 1, 0)};
  EXPECT_EQ(pickOnce("sed", d), 1u);
  EXPECT_EQ(pickOnce("nq", d), 0u);
}

TEST(NqTest, FallsBackToSedWhenNobodyIsIdle) {
  // A: (1+1)/1 = 2, B: (2+1)/3 = 1, C idle but weight 0 -> B for both.
  std::vector<Dest> d = {dest(1, 1, 1, 0), dest(2, 3, 2, 0), dest(3, 0, 0, 0)};
  EXPECT_EQ(pickOnce("nq", d), 1u);
  EXPECT_EQ(pickOnce("sed", d), 1u);
  // An idle but overloaded server does not count as idle.
  d.push_back(dest(4, 5, 0, 0, true));
  EXPECT_EQ(pickOnce("nq", d), 1u);
}

TEST(LeastTest, NothingAvailable) {
  std::vector<Dest> d = {dest(1, 0), dest(2, 1, 0, 0, true)};
  for (std::string_view name : {"lc", "wlc", "sed", "nq"}) {
    EXPECT_EQ(pickOnce(name, d), std::nullopt) << name;
    EXPECT_EQ(pickOnce(name, {}), std::nullopt) << name;
  }
}

TEST(LeastTest, Explain) {
  std::vector<Dest> d = {dest(1, 1, 1, 0), dest(2, 3, 2, 100)};
  auto s = make("wlc");
  s->update(d);
  EXPECT_EQ(s->explain(d, flow("10.0.0.1")),
            "least overhead/weight 612/3 -> 198.18.1.2:80 (active 2, inactive 100, weight 3)");
  auto n = make("nq");
  std::vector<Dest> idle = {dest(1, 1, 3, 0), dest(2, 1, 0, 0)};
  n->update(idle);
  EXPECT_EQ(n->explain(idle, flow("10.0.0.1")),
            "idle (no active connections) -> 198.18.1.2:80 (active 0, inactive 0, weight 1)");
}

}  // namespace
}  // namespace keel::lb
