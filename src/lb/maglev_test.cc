// Tests for the Maglev builder and stableHash: weighted shares, disruption on removal, order
// independence, validation messages, lookup, and pinned hash and table values that every build
// on every platform must reproduce.
#include "lb/maglev.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

RealKey realV4(std::uint32_t i, std::uint16_t port = 80) {
  return RealKey{base::IpAddress::v4(0x0a000000 + i), port};
}

// 100 backends with weights 1..5.
std::vector<MaglevBackend> mixedBackends(std::uint32_t n = 100) {
  std::vector<MaglevBackend> out;
  for (std::uint32_t i = 0; i < n; ++i) out.push_back({realV4(i + 1), 1 + i % 5});
  return out;
}

std::vector<std::uint32_t> slotCounts(const MaglevTable& t) {
  std::vector<std::uint32_t> counts(t.backends.size());
  for (std::uint32_t s : t.slots) ++counts.at(s);
  return counts;
}

TEST(StableHashTest, SipHashPaperTestVectors) {
  // Key 00 01 .. 0f read as two little-endian words.
  constexpr std::uint64_t k0 = 0x0706050403020100;
  constexpr std::uint64_t k1 = 0x0f0e0d0c0b0a0908;
  std::array<std::uint8_t, 15> msg{};
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(sipHash24(k0, k1, msg), 0xa129ca6149be45e5u);
  EXPECT_EQ(sipHash24(k0, k1, {}), 0x726fdb47dd0e0e31u);
  // Exactly one block, then a block plus one byte.
  std::array<std::uint8_t, 9> nine{0, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(sipHash24(k0, k1, std::span(nine).first(8)), 0x93f5f5799a932462u);
  EXPECT_EQ(sipHash24(k0, k1, nine), 0x9e0082df0ba9e4b0u);
}

TEST(StableHashTest, PinnedValues) {
  const std::array<std::uint8_t, 3> abc{'a', 'b', 'c'};
  EXPECT_EQ(stableHash(abc, 0), 0x7ae300c52c0ff7b6u);
  EXPECT_EQ(stableHash(abc, 42), 0xe5f430beecd329cfu);
  EXPECT_NE(stableHash(abc, 1), stableHash(abc, 2));
}

TEST(MaglevTest, IsPrime) {
  for (std::uint32_t p : {2u, 3u, 5u, 7u, 251u, 4093u, 65521u, 65537u, 16777259u, 4294967291u})
    EXPECT_TRUE(isPrime(p)) << p;
  for (std::uint32_t n : {0u, 1u, 4u, 9u, 25u, 49u, 65535u, 65536u, 16777216u, 4294967295u})
    EXPECT_FALSE(isPrime(n)) << n;
}

TEST(MaglevTest, RejectsSizesThatAreNotPrimesInRange) {
  auto backends = mixedBackends(3);
  for (std::uint32_t size : {0u, 1u, 2u, 65536u, 16777289u, 4294967291u}) {
    auto t = buildMaglev(backends, size);
    ASSERT_FALSE(t.has_value()) << size;
    EXPECT_EQ(t.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_EQ(t.error().message,
              "maglev table size " + std::to_string(size) + " is not a prime in 3..16777259");
  }
  EXPECT_TRUE(buildMaglev(backends, 3).has_value());
  // The largest size validates (without backends, to keep the test fast).
  EXPECT_TRUE(buildMaglev({}, 16777259).has_value());
  EXPECT_TRUE(buildMaglev({}, 16777213).has_value());  // 2^24 - 3, a prime
}

TEST(MaglevTest, RejectsMoreWeightedBackendsThanSlots) {
  std::vector<MaglevBackend> backends;
  for (std::uint32_t i = 0; i < 8; ++i) backends.push_back({realV4(i + 1), 2});
  auto t = buildMaglev(backends, 7);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, base::ErrorCode::InvalidArgument);
  EXPECT_EQ(t.error().message, "maglev table size 7 is smaller than its 8 backends");
  // Backends of weight 0 do not count; equal weights take one slot each.
  backends[3].weight = 0;
  auto ok = buildMaglev(backends, 7);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->backends.size(), 7u);
  for (std::uint32_t c : slotCounts(*ok)) EXPECT_EQ(c, 1u);
}

TEST(MaglevTest, NoWeightedBackendGivesAnEmptyTable) {
  auto none = buildMaglev({}, 65537);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(none->slots.empty());
  std::vector<MaglevBackend> zero{{realV4(1), 0}, {realV4(2), 0}};
  auto t = buildMaglev(zero);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->empty());
  EXPECT_TRUE(t->slots.empty());
}

TEST(MaglevTest, WeightZeroGetsNoSlot) {
  auto backends = mixedBackends(10);
  backends[4].weight = 0;
  auto t = buildMaglev(backends, 1009);
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->backends.size(), 9u);
  EXPECT_EQ(std::find(t->backends.begin(), t->backends.end(), backends[4].key), t->backends.end());
  for (std::uint32_t c : slotCounts(*t)) EXPECT_GT(c, 0u);
}

TEST(MaglevTest, SharesFollowWeights) {
  auto backends = mixedBackends(100);
  auto t = buildMaglev(backends, kDefaultMaglevSize);
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->slots.size(), kDefaultMaglevSize);
  ASSERT_TRUE(std::is_sorted(t->backends.begin(), t->backends.end()));
  double total = 0;
  for (const auto& b : backends) total += b.weight;
  auto counts = slotCounts(*t);
  for (const auto& b : backends) {
    auto idx = std::find(t->backends.begin(), t->backends.end(), b.key) - t->backends.begin();
    const double share = static_cast<double>(counts[idx]) / kDefaultMaglevSize;
    const double want = b.weight / total;
    EXPECT_LE(std::abs(share - want), 0.01) << b.key.str();
    // Much tighter in fact: within 1% of the backend's own expected slot count, or 2 slots.
    const double want_slots = want * kDefaultMaglevSize;
    EXPECT_LE(std::abs(counts[idx] - want_slots), std::max(2.0, want_slots * 0.01))
        << b.key.str() << " weight " << b.weight;
  }
}

TEST(MaglevTest, RemovingOneBackendMovesFewSurvivingSlots) {
  auto backends = mixedBackends(100);
  auto before = buildMaglev(backends);
  ASSERT_TRUE(before.has_value());
  for (std::size_t gone : {0u, 37u, 99u}) {
    auto fewer = backends;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(gone));
    auto after = buildMaglev(fewer);
    ASSERT_TRUE(after.has_value());
    std::size_t surviving = 0;
    std::size_t moved = 0;
    for (std::size_t s = 0; s < before->slots.size(); ++s) {
      const auto& was = before->backends[before->slots[s]];
      const auto& now = after->backends[after->slots[s]];
      if (was == backends[gone].key) continue;  // these must move
      ++surviving;
      if (was != now) ++moved;
    }
    EXPECT_LE(static_cast<double>(moved), 0.01 * static_cast<double>(surviving))
        << "removed " << gone << ": " << moved << " of " << surviving;
  }
}

TEST(MaglevTest, TableDoesNotDependOnInputOrder) {
  auto backends = mixedBackends(100);
  backends.push_back({RealKey{*base::IpAddress::parse("2001:db8::1"), 443}, 3});
  backends.push_back({realV4(1, 81), 2});  // same address, other port
  auto first = buildMaglev(backends);
  std::mt19937 rng(7);
  std::shuffle(backends.begin(), backends.end(), rng);
  auto second = buildMaglev(backends);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->backends, second->backends);
  ASSERT_EQ(first->slots.size(), second->slots.size());
  EXPECT_EQ(first->slots, second->slots);
}

TEST(MaglevTest, PinnedSmallTable) {
  // Any change to the hash, the key bytes or the fill order shows here: every director must
  // build exactly this table.
  std::vector<MaglevBackend> backends{{realV4(1), 1}, {realV4(2), 2}, {realV4(3), 3}};
  auto t = buildMaglev(backends, 13);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->slots, (std::vector<std::uint32_t>{1, 2, 2, 1, 2, 1, 2, 1, 2, 0, 0, 2, 2}));
}

TEST(MaglevTest, LookupIndexesSlotsByHashModuloSize) {
  auto t = buildMaglev(mixedBackends(10), 1009);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->lookup(0), t->slots[0]);
  EXPECT_EQ(t->lookup(5), t->slots[5]);
  EXPECT_EQ(t->lookup(1009 + 5), t->slots[5]);
  EXPECT_EQ(t->lookup(UINT64_MAX), t->slots[UINT64_MAX % 1009]);
  for (std::uint64_t h = 0; h < 5000; h += 7) EXPECT_LT(t->lookup(h), t->backends.size());
}

TEST(MaglevTest, SingleBackendTakesEverySlot) {
  std::vector<MaglevBackend> one{{realV4(9), 4}};
  auto t = buildMaglev(one, 101);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->slots, std::vector<std::uint32_t>(101, 0));
}

TEST(MaglevTest, ThousandBackendsFillTheDefaultTable) {
  std::vector<MaglevBackend> backends;
  for (std::uint32_t i = 0; i < 1000; ++i) backends.push_back({realV4(i + 1), 1 + i % 7});
  auto t = buildMaglev(backends);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->backends.size(), 1000u);
  for (std::uint32_t c : slotCounts(*t)) EXPECT_GT(c, 0u);
}

}  // namespace
}  // namespace keel::lb
