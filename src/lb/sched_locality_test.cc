// lblc and lblcr: per-destination-address state, worked out by hand. "Overloaded" here is
// IPVS's cluster sense: active > weight while some server has active * 2 < weight.
#include <gtest/gtest.h>

#include "lb/sched_internal.h"
#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using testing::dest;
using testing::flow;
using testing::make;

std::optional<std::size_t> at(Scheduler& s, const std::vector<Dest>& d, microseconds now,
                              const char* vip = "198.18.0.100") {
  PickContext ctx;
  ctx.now = now;
  return s.pick(d, flow("10.0.0.1", 40000, vip), ctx);
}

TEST(LblcTest, KeepsItsServerThenMovesWhenOverloaded) {
  auto s = make("lblc");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1)};
  s->update(d);
  // No entry: wlc among two idle servers -> A (first of equals).
  EXPECT_EQ(at(*s, d, microseconds(0)), 0u);
  // A has 1 active (not above its weight 1): kept although wlc would now say B.
  d[0].active = 1;
  EXPECT_EQ(at(*s, d, microseconds(1)), 0u);
  // A at 2 > 1 and B at 0 (0 * 2 < 1, below half load): A counts as overloaded; wlc -> B.
  d[0].active = 2;
  EXPECT_EQ(at(*s, d, microseconds(2)), 1u);
  // The entry now holds B, even when A is idle again.
  d[0].active = 0;
  d[1].active = 1;
  EXPECT_EQ(at(*s, d, microseconds(3)), 1u);
}

TEST(LblcTest, NoHalfLoadedServerMeansKeep) {
  auto s = make("lblc");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1)};
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(0)), 0u);
  // A at 2 > 1, but B at 1 is not below half (1 * 2 < 1 is false): A is kept.
  d[0].active = 2;
  d[1].active = 1;
  EXPECT_EQ(at(*s, d, microseconds(1)), 0u);
  // A unavailable (weight 0): reassigned to B.
  d[0].weight = 0;
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(2)), 1u);
}

TEST(LblcTest, EntriesArePerDestinationAddress) {
  auto s = make("lblc");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1)};
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(0), "198.18.0.100"), 0u);
  d[0].active = 1;  // wlc now prefers B, A is still kept for .100
  EXPECT_EQ(at(*s, d, microseconds(1), "198.18.0.101"), 1u);
  EXPECT_EQ(at(*s, d, microseconds(2), "198.18.0.100"), 0u);
  EXPECT_EQ(s->explain(d, flow("10.0.0.1", 1, "198.18.0.101")),
            "destination 198.18.0.101 keeps its server -> 198.18.1.2:80 (active 0, inactive 0, "
            "weight 1)");
}

TEST(LblcTest, IdleEntriesExpire) {
  auto s = make("lblc");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1)};
  s->update(d);
  const microseconds t0 = hours(1);
  EXPECT_EQ(at(*s, d, t0), 0u);
  d[0].active = 1;  // wlc prefers B from here on
  // Used again just within the expiry: kept, and the idle clock restarts.
  EXPECT_EQ(at(*s, d, t0 + sched::kLocalityExpiration), 0u);
  const microseconds t1 = t0 + sched::kLocalityExpiration;
  // Idle one microsecond longer than the expiry: gone, wlc assigns B.
  EXPECT_EQ(at(*s, d, t1 + sched::kLocalityExpiration + microseconds(1)), 1u);
}

TEST(LblcTest, RemovedServerIsReplaced) {
  auto s = make("lblc");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  d[0].active = 1;
  d[1].active = 1;
  EXPECT_EQ(at(*s, d, microseconds(0)), 2u);  // C, the only idle one
  // C removed: the entry's server is gone, so wlc reassigns.
  d.pop_back();
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(1)), 0u);  // wlc: A and B equal -> A
  // The entry follows its server's key when the list is reordered.
  std::swap(d[0], d[1]);
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(2)), 1u);
}

TEST(LblcrTest, AddsAServerWhenTheSetIsOverloaded) {
  auto s = make("lblcr");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  // No set: wlc -> A; set {A}.
  EXPECT_EQ(at(*s, d, microseconds(0)), 0u);
  // A at 1: least member A, not overloaded (1 <= 1): A.
  d[0].active = 1;
  EXPECT_EQ(at(*s, d, microseconds(1)), 0u);
  // A at 2 > 1 and B, C idle (below half): wlc over the cluster -> B joins; set {A, B}.
  d[0].active = 2;
  EXPECT_EQ(at(*s, d, microseconds(2)), 1u);
  // The least loaded member now: B (0) before A (512).
  EXPECT_EQ(at(*s, d, microseconds(3)), 1u);
  // B at 3, A at 2: least member A (512 < 768), overloaded while C is idle -> C joins.
  d[1].active = 3;
  EXPECT_EQ(at(*s, d, microseconds(4)), 2u);
  EXPECT_EQ(s->explain(d, flow("10.0.0.1")),
            "destination 198.18.0.100: least loaded of its 3 servers -> 198.18.1.3:80 (active 0, "
            "inactive 0, weight 1)");
}

TEST(LblcrTest, UnchangedSetShedsItsMostLoadedMember) {
  auto s = make("lblcr");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  EXPECT_EQ(at(*s, d, microseconds(0)), 0u);  // {A}
  d[0].active = 2;
  EXPECT_EQ(at(*s, d, microseconds(1)), 1u);  // {A, B}, last change at 1 us
  // Keep the entry in use, half-way through the expiry.
  d[1].active = 1;
  EXPECT_EQ(at(*s, d, hours(12)), 1u);
  // Past the expiry since the last change: the most loaded member (A, 512 vs 256) leaves, and
  // B (1 active, not over its weight) still serves.
  EXPECT_EQ(at(*s, d, microseconds(1) + sched::kLocalityExpiration + microseconds(1)), 1u);
  EXPECT_EQ(s->explain(d, flow("10.0.0.1")),
            "destination 198.18.0.100: least loaded of its 1 servers -> 198.18.1.2:80 (active 1, "
            "inactive 0, weight 1)");
}

TEST(LocalityTest, NothingAvailable) {
  for (const char* name : {"lblc", "lblcr"}) {
    auto s = make(name);
    std::vector<Dest> d = {dest(1, 0), dest(2, 1, 0, 0, true)};
    s->update(d);
    EXPECT_EQ(at(*s, d, microseconds(0)), std::nullopt) << name;
    std::vector<Dest> none;
    s->update(none);
    EXPECT_EQ(at(*s, none, microseconds(1)), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace keel::lb
