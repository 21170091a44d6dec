// dh and sh: the 256-bucket table, worked out by hand.
//
// bucket(key) = top 8 bits of (key * 2654435761 mod 2^32), 2654435761 = 0x9E3779B1.
// Client 10.0.0.1 = 0x0A000001: 0x0A000000 * 0x9E3779B1 mod 2^32 only keeps 0x0A * 0xB1 = 0x6EA
// in the top byte, i.e. 0xEA000000; plus 0x9E3779B1 gives 0x883779B1 -> bucket 0x88 = 136.
// With sh-port the port is added to the key, and each +1 adds 0x9E3779B1 again:
//   port 1: 0x883779B1 + 0x9E3779B1 = 0x266EF362 -> 38;  port 2: 0xC4A66D13 -> 196.
// The same arithmetic gives 10.0.0.2 -> 38, VIP 198.18.0.100 -> 66, 198.18.0.101 -> 224, and
// for 2001:db8::1 the fold 0x20010db8 ^ 0 ^ 0 ^ 1 = 0x20010db9 -> 192.
//
// The table: destinations in list order each take `weight` consecutive buckets (at least one),
// cycling. Three destinations of weight 1: bucket b -> b % 3. Weights 2, 1: b % 3 < 2 -> 0.
#include <gtest/gtest.h>

#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::flow;
using testing::make;

std::optional<std::size_t> pickFor(Scheduler& s, const std::vector<Dest>& d, const Flow& f) {
  return s.pick(d, f, {});
}

TEST(ShTest, BucketOfTheSourceAddress) {
  auto s = make("sh");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1")), 1u);     // 136 % 3 = 1
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.2")), 2u);     // 38 % 3 = 2
  EXPECT_EQ(pickFor(*s, d, flow("2001:db8::1")), 0u);  // 192 % 3 = 0
  // Same client, any port and VIP, same server (no sh-port).
  for (std::uint16_t port : {1, 2, 999, 65535}) {
    EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1", port, "198.18.0.101")), 1u) << port;
  }
}

TEST(ShTest, WeightsTileTheTable) {
  // Weights 2, 1: buckets 0 1 -> A, 2 -> B, 3 4 -> A, ... 136 % 3 = 1 -> A; 38 % 3 = 2 -> B.
  auto s = make("sh");
  std::vector<Dest> d = {dest(1, 2), dest(2, 1)};
  s->update(d);
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1")), 0u);
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.2")), 1u);
  // Heavier weights fill the 256 buckets in runs: A 200 takes 0-199, B 100 takes 200-255.
  d = {dest(1, 200), dest(2, 100)};
  s->update(d);
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1")), 0u);     // 136
  EXPECT_EQ(pickFor(*s, d, flow("2001:db8::1")), 0u);  // 192
  d = {dest(1, 100), dest(2, 200)};
  s->update(d);
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1")), 1u);  // 136 is in B's 100-255
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.2")), 0u);  // 38
}

TEST(ShTest, FallbackSkipsAnUnavailableServer) {
  // Weights 1, 0, 1: the weight-0 server still holds every third bucket; 136 % 3 = 1 is B's.
  std::vector<Dest> d = {dest(1, 1), dest(2, 0), dest(3, 1)};
  auto plain = make("sh");
  plain->update(d);
  EXPECT_EQ(pickFor(*plain, d, flow("10.0.0.1")), std::nullopt);
  // Fallback tries bucket 137 (137 % 3 = 2 -> C).
  for (const char* flag : {"sh-fallback", "flag-1"}) {
    auto fb = make("sh", {flag});
    fb->update(d);
    EXPECT_EQ(pickFor(*fb, d, flow("10.0.0.1")), 2u) << flag;
    EXPECT_EQ(pickFor(*fb, d, flow("10.0.0.2")), 2u) << flag;  // 38: C's own bucket
    EXPECT_EQ(fb->explain(d, flow("10.0.0.1")),
              "bucket 136 of 256 (source hash) unavailable, fallback to bucket 137 -> "
              "198.18.1.3:80 (active 0, inactive 0, weight 1)");
  }
  // Overloaded counts as unavailable; with nobody left, fallback finds nothing.
  d[2].overloaded = true;
  auto fb = make("sh", {"sh-fallback"});
  fb->update(d);
  EXPECT_EQ(pickFor(*fb, d, flow("10.0.0.1")), 0u);  // 138 % 3 = 0 -> A
  d[0].weight = 0;
  fb->update(d);
  EXPECT_EQ(pickFor(*fb, d, flow("10.0.0.1")), std::nullopt);
}

TEST(ShTest, PortSpreadsOneClient) {
  // sh-port: ports 0, 1, 2 of 10.0.0.1 land in buckets 136, 38, 196 -> 1, 2, 1 of three.
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  for (const char* flag : {"sh-port", "flag-2"}) {
    auto s = make("sh", {flag});
    s->update(d);
    EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1", 0)), 1u) << flag;
    EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1", 1)), 2u) << flag;
    EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1", 2)), 1u) << flag;
    EXPECT_EQ(s->explain(d, flow("10.0.0.1", 1)),
              "bucket 38 of 256 (source address and port hash) -> 198.18.1.3:80 (active 0, "
              "inactive 0, weight 1)");
  }
}

TEST(DhTest, BucketOfTheDestinationAddress) {
  // VIP 198.18.0.100 -> 66 % 3 = 0; 198.18.0.101 -> 224 % 3 = 2. The client does not matter.
  auto s = make("dh");
  std::vector<Dest> d = {dest(1, 1), dest(2, 1), dest(3, 1)};
  s->update(d);
  for (const char* client : {"10.0.0.1", "10.0.0.2", "2001:db8::1"}) {
    EXPECT_EQ(pickFor(*s, d, flow(client, 1, "198.18.0.100")), 0u) << client;
    EXPECT_EQ(pickFor(*s, d, flow(client, 2, "198.18.0.101")), 2u) << client;
  }
  EXPECT_EQ(s->explain(d, flow("10.0.0.1")),
            "bucket 66 of 256 (destination hash) -> 198.18.1.1:80 (active 0, inactive 0, weight "
            "1)");
  // No fallback for dh: the bucket's server unavailable means no server.
  d[0].overloaded = true;
  EXPECT_EQ(pickFor(*s, d, flow("10.0.0.1")), std::nullopt);
}

TEST(HashTest, EmptyList) {
  for (const char* name : {"sh", "dh"}) {
    auto s = make(name);
    std::vector<Dest> none;
    s->update(none);
    EXPECT_EQ(pickFor(*s, none, flow("10.0.0.1")), std::nullopt) << name;
  }
  auto fb = make("sh", {"sh-fallback", "sh-port"});
  std::vector<Dest> none;
  fb->update(none);
  EXPECT_EQ(pickFor(*fb, none, flow("10.0.0.1")), std::nullopt);
}

}  // namespace
}  // namespace keel::lb
