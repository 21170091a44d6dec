// Rings: exact slot shares, Maglev's consistency, and how closely a ring reproduces the spread of
// the exact core scheduler (lb::makeScheduler) over many new flows.
#include "dataplane/xdp/ring.h"

#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dataplane/xdp/bpf/keel_abi.h"
#include "lb/scheduler.h"

namespace keel::dataplane::xdp {
namespace {

lb::RealKey realKey(int n) { return {*base::IpAddress::parse(fmt::format("10.0.0.{}", n)), 80}; }

lb::Service service(std::string sched, std::vector<std::string> flags = {}) {
  lb::Service s;
  s.key = {*base::IpAddress::parse("198.18.0.100"), 80, lb::Protocol::Tcp, 0};
  s.scheduler = std::move(sched);
  s.scheduler_flags = std::move(flags);
  return s;
}

std::vector<RingMember> members(std::vector<int> weights) {
  std::vector<RingMember> out;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    out.push_back(
        {realKey(static_cast<int>(i) + 1), static_cast<std::uint32_t>(i) + 1, weights[i]});
  }
  return out;
}

std::map<std::uint32_t, std::size_t> counts(const std::vector<std::uint32_t>& ring) {
  std::map<std::uint32_t, std::size_t> c;
  for (std::uint32_t r : ring) ++c[r];
  return c;
}

TEST(RingTest, WeightedSlotsAreExactAndInterleaved) {
  const std::vector<int> w{1, 2, 3, 0};
  auto slots = weightedSlots(w, 12);
  ASSERT_EQ(slots.size(), 12u);
  auto c = counts(slots);
  EXPECT_EQ(c[0], 2u);
  EXPECT_EQ(c[1], 4u);
  EXPECT_EQ(c[2], 6u);
  EXPECT_EQ(c.count(3), 0u);
  // Interleaved: no real holds more than its share rounded up in any prefix.
  std::vector<int> seen(4, 0);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    ++seen[slots[i]];
    for (std::size_t r = 0; r < 3; ++r) {
      EXPECT_LE(seen[r], std::ceil((i + 1) * w[r] / 6.0) + 1) << i;
    }
  }
  EXPECT_TRUE(weightedSlots(std::vector<int>{0, 0}, 12).empty());
  // Shares of a prime ring: largest remainder, within one slot of the exact proportion.
  auto prime = counts(weightedSlots(std::vector<int>{1, 1, 1}, KEEL_RING_SIZE));
  for (auto [r, n] : prime) EXPECT_NEAR(static_cast<double>(n), KEEL_RING_SIZE / 3.0, 1.0);
}

TEST(RingTest, RrIgnoresWeightsWrrUsesThemZeroGetsNothing) {
  auto rr = buildRing(service("rr"), members({1, 5, 0}));
  ASSERT_TRUE(rr);
  auto c = counts(*rr);
  EXPECT_NEAR(static_cast<double>(c[1]), KEEL_RING_SIZE / 2.0, 1.0);
  EXPECT_NEAR(static_cast<double>(c[2]), KEEL_RING_SIZE / 2.0, 1.0);
  EXPECT_EQ(c.count(3), 0u);
  auto wrr = buildRing(service("wrr"), members({1, 3}));
  ASSERT_TRUE(wrr);
  c = counts(*wrr);
  EXPECT_NEAR(static_cast<double>(c[2]), KEEL_RING_SIZE * 0.75, 1.0);
  auto none = buildRing(service("wrr"), members({0, 0}));
  ASSERT_TRUE(none);
  EXPECT_EQ(counts(*none)[0], KEEL_RING_SIZE);
}

TEST(RingTest, MaglevRingMovesOnlyTheRemovedRealsSlots) {
  auto before = buildRing(service("mh"), members({1, 1, 1, 1}));
  auto m = members({1, 1, 1, 1});
  m.erase(m.begin() + 2);
  auto after = buildRing(service("mh"), m);
  ASSERT_TRUE(before && after);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < before->size(); ++i) {
    if ((*before)[i] != 3 && (*before)[i] != (*after)[i]) ++moved;
    EXPECT_NE((*after)[i], 3u);
  }
  // dataplane.md §3.1: collateral moves stay around 1% of the slots for small N.
  EXPECT_LT(moved, KEEL_RING_SIZE / 50);
  EXPECT_TRUE(ringPlan("mh")->hash_source_only);
  EXPECT_FALSE(ringPlan("mh", std::vector<std::string>{"mh-port"})->hash_source_only);
}

TEST(RingTest, DhAndFoPutEverySlotOnTheCoreSchedulersChoice) {
  auto fo = buildRing(service("fo"), members({1, 7, 3}));
  ASSERT_TRUE(fo);
  EXPECT_EQ(counts(*fo)[2], KEEL_RING_SIZE);
  auto dh = buildRing(service("dh"), members({1, 1, 1}));
  ASSERT_TRUE(dh);
  EXPECT_EQ(counts(*dh).size(), 1u);
  EXPECT_FALSE(ringPlan("nope"));
}

// A flow hash as the program computes it for a random client address and port.
std::uint32_t flowSlot(std::mt19937& rng) {
  std::uint32_t src[4] = {static_cast<std::uint32_t>(rng()), 0, 0, 0};
  const std::uint32_t ports = (rng() & 0xffff) << 16 | 80;
  return keel_flow_hash(src, ports) % KEEL_RING_SIZE;
}

// The core scheduler's share of `n` new connections that all stay open (the steady state the
// connection-count schedulers balance), against the ring's share of `n` random flows. The ring's
// count of each real is binomial(n, p); the bound is 5 standard deviations plus the one-slot
// rounding of the ring, so an exact ring fails it with probability below 1e-6.
void expectRingMatchesCore(const std::string& sched, std::vector<int> weights) {
  SCOPED_TRACE(sched);
  constexpr int kFlows = 20000;
  auto m = members(weights);
  auto ring = buildRing(service(sched), m);
  ASSERT_TRUE(ring);
  std::mt19937 rng(7);
  std::map<std::uint32_t, int> ring_count;
  for (int i = 0; i < kFlows; ++i) ++ring_count[(*ring)[flowSlot(rng)]];

  auto core = lb::makeScheduler(sched);
  ASSERT_TRUE(core);
  std::vector<lb::Dest> dests;
  for (const RingMember& r : m) dests.push_back({r.key, r.weight});
  (*core)->update(dests);
  std::map<std::uint32_t, int> core_count;
  std::mt19937_64 random(11);
  for (int i = 0; i < kFlows; ++i) {
    lb::Flow flow{*base::IpAddress::parse("203.0.113.1"), static_cast<std::uint16_t>(i),
                  service(sched).key.address, 80, lb::Protocol::Tcp};
    auto pick = (*core)->pick(dests, flow, lb::PickContext{{}, random()});
    ASSERT_TRUE(pick);
    ++dests[*pick].active;
    ++core_count[m[*pick].index];
  }
  for (const RingMember& r : m) {
    const double p = static_cast<double>(core_count[r.index]) / kFlows;
    const double sd = std::sqrt(kFlows * p * (1 - p));
    EXPECT_NEAR(ring_count[r.index], core_count[r.index], 5 * sd + 2) << r.key.str();
  }
}

TEST(RingTest, RingsReproduceTheCoreSchedulersSpread) {
  expectRingMatchesCore("rr", {1, 1, 1});
  expectRingMatchesCore("wrr", {1, 2, 5});
  expectRingMatchesCore("lc", {1, 2, 5});
  expectRingMatchesCore("wlc", {1, 2, 5});
  expectRingMatchesCore("sed", {1, 2, 5});
  expectRingMatchesCore("nq", {1, 2, 5});
  expectRingMatchesCore("twos", {1, 3});
}

}  // namespace
}  // namespace keel::dataplane::xdp
