#include "dataplane/proxy/session_table.h"

#include <gtest/gtest.h>

namespace keel::dataplane::proxy {
namespace {

using std::chrono::seconds;
using Micros = std::chrono::microseconds;

base::Endpoint client(std::uint16_t port) { return {base::IpAddress::v4(0x7f000001), port}; }

TEST(SessionTable, FindsBySourceAddressAndPort) {
  SessionTable<int> t(10, seconds(30));
  EXPECT_TRUE(t.insert(client(1000), 7, Micros{}));
  EXPECT_TRUE(t.insert(client(1001), 8, Micros{}));
  ASSERT_NE(t.touch(client(1000), Micros{}), nullptr);
  EXPECT_EQ(*t.touch(client(1000), Micros{}), 7);
  EXPECT_EQ(*t.touch(client(1001), Micros{}), 8);
  EXPECT_EQ(t.touch(client(1002), Micros{}), nullptr);
  EXPECT_FALSE(t.insert(client(1000), 9, Micros{}));  // exists
}

TEST(SessionTable, IdleSessionsExpireAndTouchRestartsTheTimer) {
  SessionTable<int> t(10, seconds(30));
  t.insert(client(1), 1, Micros{});
  t.insert(client(2), 2, Micros{});
  t.touch(client(2), seconds(20));
  EXPECT_TRUE(t.expire(seconds(29)).empty());
  auto gone = t.expire(seconds(30));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].first, client(1));
  EXPECT_EQ(gone[0].second, 1);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.expire(seconds(50)).size(), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(SessionTable, CapacityBoundsTheTable) {
  SessionTable<int> t(2, seconds(30));
  EXPECT_TRUE(t.insert(client(1), 1, Micros{}));
  EXPECT_TRUE(t.insert(client(2), 2, Micros{}));
  EXPECT_FALSE(t.insert(client(3), 3, Micros{}));
  t.erase(client(1));
  EXPECT_TRUE(t.insert(client(3), 3, Micros{}));
}

TEST(SessionTable, ExpireAlsoDropsWhatThePredicateNames) {
  SessionTable<int> t(4, seconds(30));
  t.insert(client(1), 1, Micros{});
  t.insert(client(2), 2, Micros{});
  auto gone = t.expire(Micros{}, [](int v) { return v == 2; });
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].second, 2);
  EXPECT_EQ(t.size(), 1u);
}

TEST(SessionTable, ForEachReportsTimeLeft) {
  SessionTable<int> t(2, seconds(30));
  t.insert(client(1), 1, Micros{});
  Micros left{};
  t.forEach(seconds(10), [&](const base::Endpoint&, int, Micros l) { left = l; });
  EXPECT_EQ(left, seconds(20));
}

}  // namespace
}  // namespace keel::dataplane::proxy
