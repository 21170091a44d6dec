#include "lb/whereis.h"

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

ServiceTable table(std::string scheduler, std::chrono::seconds persistence = {}) {
  Service s;
  s.key = {ip("198.18.0.100"), 80, Protocol::Tcp, 0};
  s.scheduler = std::move(scheduler);
  s.persistence_timeout = persistence;
  s.persistence_prefix = 24;
  for (const char* r : {"198.18.1.1", "198.18.1.2"}) {
    s.reals.push_back({{ip(r), 80}, 1, Forwarding::Dr, 0, 0, false});
  }
  return ServiceTable::of({s});
}

WhereIsQuery query(const char* client, std::uint16_t vport = 80) {
  return {ip("198.18.0.100"), vport, Protocol::Tcp, ip(client), 40000};
}

TEST(WhereIsTest, UnknownServiceIsNotFound) {
  auto a = whereIs(table("rr"), query("198.18.3.1", 81));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, base::ErrorCode::NotFound);
  EXPECT_EQ(a.error().message, "no virtual service TCP 198.18.0.100:81");
}

TEST(WhereIsTest, SourceHashAnswersTheSameForTheSameClient) {
  const auto t = table("sh");
  auto a = whereIs(t, query("198.18.3.1"));
  auto b = whereIs(t, query("198.18.3.1"));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->real);
  EXPECT_EQ(a->real, b->real);
  EXPECT_EQ(a->why.rfind("sh: ", 0), 0u) << a->why;
}

TEST(WhereIsTest, ALiveTemplateWinsOverTheScheduler) {
  const auto t = table("rr", std::chrono::seconds(50));
  PersistenceTable p;
  const RealKey second{ip("198.18.1.2"), 80};
  p.connectionStarted(templateKey(*t.services[0], ip("198.18.3.7")), second,
                      std::chrono::seconds(50), Micros{0});
  // 198.18.3.1 shares 198.18.3.0/24 with the template's client.
  auto a = whereIs(t, query("198.18.3.1"), &p, std::chrono::seconds(10));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->real, second);
  EXPECT_EQ(a->why, "persistence template for 198.18.3.0/24 (1 connections, timeout 50 s)");
  EXPECT_EQ(formatWhereIs(query("198.18.3.1"), *a),
            "TCP 198.18.0.100:80 <- 198.18.3.1:40000: 198.18.1.2:80 (persistence template for "
            "198.18.3.0/24 (1 connections, timeout 50 s))");
  // Another /24 is scheduled: a fresh rr starts at the first real.
  auto b = whereIs(t, query("198.18.4.1"), &p, std::chrono::seconds(10));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->real, (RealKey{ip("198.18.1.1"), 80}));
}

}  // namespace
}  // namespace keel::lb
