#include "dataplane/proxy/service_state.h"

#include <gtest/gtest.h>

namespace keel::dataplane::proxy {
namespace {

using std::chrono::seconds;
using Micros = std::chrono::microseconds;

base::IpAddress ip(std::uint32_t host) { return base::IpAddress::v4(host); }

lb::Service service(const std::string& sched, std::vector<int> weights) {
  lb::Service s;
  s.key = {ip(0x7f000001), 8080, lb::Protocol::Tcp, 0};
  s.scheduler = sched;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    lb::Real r;
    r.key = {ip(0x7f000001), static_cast<std::uint16_t>(8081 + i)};
    r.weight = weights[i];
    s.reals.push_back(r);
  }
  return s;
}

lb::Flow flow(std::uint32_t client, std::uint16_t port) {
  return {ip(client), port, ip(0x7f000001), 8080, lb::Protocol::Tcp};
}

TEST(ServiceState, RoundRobinRotates) {
  auto s = ServiceState::make(service("rr", {1, 1})).value();
  EXPECT_EQ(s->pick(flow(1, 1), Micros{})->real->key.port, 8081);
  EXPECT_EQ(s->pick(flow(1, 2), Micros{})->real->key.port, 8082);
  EXPECT_EQ(s->pick(flow(1, 3), Micros{})->real->key.port, 8081);
}

TEST(ServiceState, LeastConnectionSeesLiveCounts) {
  auto s = ServiceState::make(service("lc", {1, 1})).value();
  auto first = s->pick(flow(1, 1), Micros{});
  ++first->real->active;  // the worker counts the connection it opened
  EXPECT_NE(s->pick(flow(1, 2), Micros{})->real, first->real);
  --first->real->active;
}

TEST(ServiceState, WeightZeroTakesNothingNew) {
  auto s = ServiceState::make(service("rr", {0, 1})).value();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s->pick(flow(1, i), Micros{})->real->key.port, 8082);
}

TEST(ServiceState, RetryTakesTheNextRealAfterTheFailedOne) {
  auto s = ServiceState::make(service("rr", {1, 1, 1})).value();
  auto first = s->pick(flow(1, 1), Micros{});
  auto retry = s->pick(flow(1, 1), Micros{}, first->real.get());
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->real->key.port, first->real->key.port + 1);
}

TEST(ServiceState, NoRealNoPick) {
  auto s = ServiceState::make(service("wlc", {0})).value();
  EXPECT_FALSE(s->pick(flow(1, 1), Micros{}));
  EXPECT_FALSE(ServiceState::make(service("nope", {1})));
}

TEST(ServiceState, PersistenceSendsAClientBackUntilTheTimeout) {
  lb::Service svc = service("rr", {1, 1});
  svc.persistence_timeout = seconds(10);
  auto s = ServiceState::make(svc).value();
  auto first = s->pick(flow(1, 1), Micros{});
  s->ended(first->persistence, Micros{});
  EXPECT_EQ(s->pick(flow(1, 2), seconds(5))->real, first->real);
  s->ended(first->persistence, seconds(5));
  auto other = s->pick(flow(2, 2), seconds(5));  // another client: the rotation goes on
  EXPECT_NE(other->real, first->real);
  s->ended(other->persistence, seconds(5));
  // 10 s after its last connection ended the template is gone and rr's cursor decides: client
  // 3 takes the first real, so client 1 now gets the other one.
  EXPECT_EQ(s->pick(flow(3, 1), seconds(16))->real, first->real);
  EXPECT_NE(s->pick(flow(1, 3), seconds(16))->real, first->real);
}

TEST(ServiceState, UpdateKeepsCountersOfRealsThatStayAndMarksRemovedOnes) {
  auto s = ServiceState::make(service("rr", {1, 1})).value();
  auto a = s->pick(flow(1, 1), Micros{});
  auto b = s->pick(flow(1, 2), Micros{});
  a->real->conns = 5;
  lb::Service smaller = service("rr", {1});
  ASSERT_TRUE(s->update(smaller));
  EXPECT_FALSE(a->real->removed.load());
  EXPECT_TRUE(b->real->removed.load());
  ServiceStats st = s->stats();
  ASSERT_EQ(st.reals.size(), 1u);
  EXPECT_EQ(st.reals[0].counters.conns, 5u);
  EXPECT_EQ(st.counters.conns, 5u);
  EXPECT_EQ(st.reals[0].active_conns, 0u);
}

}  // namespace
}  // namespace keel::dataplane::proxy
