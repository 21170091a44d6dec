// mh: Maglev hashing by source. The table comes from hashes, so these tests pin properties a
// hand can check rather than single slots: stickiness, balance, weights, consistency when
// another server changes, mh-port spreading and mh-fallback.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lb/sched_internal.h"
#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::flow;
using testing::make;

std::string client(int i) {
  return "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) + "." +
         std::to_string(i % 256);
}

// Where each of `n` clients (port 40000) goes; -1 for none.
std::vector<int> assign(Scheduler& s, const std::vector<Dest>& d, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    auto p = s.pick(d, flow(client(i)), {});
    out.push_back(p ? static_cast<int>(*p) : -1);
  }
  return out;
}

std::vector<Dest> equalDests(int n) {
  std::vector<Dest> d;
  for (int i = 1; i <= n; ++i) d.push_back(dest(i, 1));
  return d;
}

TEST(MhTest, SameClientSameServerAnyPort) {
  auto s = make("mh");
  std::vector<Dest> d = equalDests(5);
  s->update(d);
  auto first = s->pick(d, flow("10.1.2.3", 1), {});
  ASSERT_TRUE(first.has_value());
  for (std::uint16_t port : {2, 80, 40000, 65535}) {
    EXPECT_EQ(s->pick(d, flow("10.1.2.3", port), {}), first) << port;
  }
  // A rebuilt scheduler builds the same table (every director agrees).
  auto t = make("mh");
  t->update(d);
  EXPECT_EQ(assign(*s, d, 500), assign(*t, d, 500));
}

TEST(MhTest, BalancedAndWeighted) {
  // 4 equal servers, 8000 clients: about 2000 each (4093 slots split within a few slots).
  auto s = make("mh");
  std::vector<Dest> d = equalDests(4);
  s->update(d);
  std::map<int, int> count;
  for (int p : assign(*s, d, 8000)) ++count[p];
  ASSERT_EQ(count.size(), 4u);
  for (auto [server, n] : count) {
    EXPECT_GT(n, 1700) << server;
    EXPECT_LT(n, 2300) << server;
  }
  // Weights 1 and 3: the second gets about 3/4.
  std::vector<Dest> w = {dest(1, 1), dest(2, 3)};
  s->update(w);
  int heavy = 0;
  for (int p : assign(*s, w, 8000)) heavy += p == 1;
  EXPECT_GT(heavy, 5600);
  EXPECT_LT(heavy, 6400);
}

TEST(MhTest, ConsistentWhenAnotherServerChanges) {
  auto s = make("mh");
  std::vector<Dest> d = equalDests(10);
  s->update(d);
  const std::vector<int> before = assign(*s, d, 5000);
  // Server 9's weight goes from 1 to 2: it gains slots, everyone else keeps most of theirs.
  d[9].weight = 2;
  s->update(d);
  const std::vector<int> after = assign(*s, d, 5000);
  int others = 0;
  int kept = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == 9) continue;
    ++others;
    kept += after[i] == before[i];
  }
  EXPECT_GT(kept, others * 85 / 100);
  EXPECT_LT(kept, others);  // server 9 did take some flows
}

TEST(MhTest, QuiescedServerKeepsItsSlotsAndFallbackMovesOnlyItsFlows) {
  auto s = make("mh");
  std::vector<Dest> d = equalDests(6);
  s->update(d);
  const std::vector<int> before = assign(*s, d, 3000);
  // Server 3 set to weight 0: the table keeps its last weight, so no other flow moves and its
  // own flows find nobody without mh-fallback.
  d[3].weight = 0;
  s->update(d);
  const std::vector<int> after = assign(*s, d, 3000);
  int orphans = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == 3) {
      ++orphans;
      EXPECT_EQ(after[i], -1);
    } else {
      EXPECT_EQ(after[i], before[i]);
    }
  }
  EXPECT_GT(orphans, 300);
  for (const char* flag : {"mh-fallback", "flag-1"}) {
    // It must have seen server 3's weight before the quiesce to keep its slots.
    auto fb = make("mh", {flag});
    std::vector<Dest> active = d;
    active[3].weight = 1;
    fb->update(active);
    fb->update(d);
    const std::vector<int> moved = assign(*fb, d, 3000);
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i] == 3) {
        EXPECT_NE(moved[i], -1) << i;
        EXPECT_NE(moved[i], 3) << i;
      } else {
        EXPECT_EQ(moved[i], before[i]) << i;
      }
    }
  }
}

TEST(MhTest, PortSpreadsOneClient) {
  std::vector<Dest> d = equalDests(4);
  for (const char* flag : {"mh-port", "flag-2"}) {
    auto s = make("mh", {flag});
    s->update(d);
    std::set<std::size_t> seen;
    for (std::uint16_t port = 1000; port < 1100; ++port) {
      auto p = s->pick(d, flow("10.1.2.3", port), {});
      ASSERT_TRUE(p.has_value());
      seen.insert(*p);
    }
    EXPECT_EQ(seen.size(), 4u) << flag;
  }
}

TEST(MhTest, NothingAvailable) {
  auto s = make("mh", {"mh-fallback"});
  std::vector<Dest> none;
  s->update(none);
  EXPECT_EQ(s->pick(none, flow("10.0.0.1"), {}), std::nullopt);
  // Weight 0 from the start: no slots at all.
  std::vector<Dest> zero = {dest(1, 0), dest(2, 0)};
  s->update(zero);
  EXPECT_EQ(s->pick(zero, flow("10.0.0.1"), {}), std::nullopt);
  // All overloaded: fallback visits every slot and gives up.
  std::vector<Dest> over = {dest(1, 1, 0, 0, true), dest(2, 1, 0, 0, true)};
  s->update(over);
  EXPECT_EQ(s->pick(over, flow("10.0.0.1"), {}), std::nullopt);
  EXPECT_EQ(s->explain(over, flow("10.0.0.1")), "maglev (source hash): no destination available");
}

TEST(MhTest, ExplainNamesTheSlot) {
  auto s = make("mh");
  std::vector<Dest> d = equalDests(3);
  s->update(d);
  const std::string e = s->explain(d, flow("10.0.0.1"));
  EXPECT_EQ(e.rfind("maglev slot ", 0), 0u) << e;
  EXPECT_NE(e.find(" of 4093 (source hash) -> 198.18.1."), std::string::npos) << e;
}

}  // namespace
}  // namespace keel::lb
