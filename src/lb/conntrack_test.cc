// Tests for the connection table: the TCP state machine with each state's timeout, UDP idle
// expiry, active/inactive counts, what happens when a real leaves, and template release.
#include "lb/conntrack.h"

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr TcpFlags kSyn{.syn = true};
constexpr TcpFlags kSynAck{.syn = true, .ack = true};
constexpr TcpFlags kAck{.ack = true};
constexpr TcpFlags kFin{.ack = true, .fin = true};
constexpr TcpFlags kRst{.rst = true};

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

const dataplane::ServiceKey kService{ip("198.18.0.100"), 80, dataplane::Protocol::Tcp, 0};
const dataplane::ServiceKey kUdpService{ip("198.18.0.100"), 53, dataplane::Protocol::Udp, 0};
const dataplane::RealKey kRealA{ip("10.0.0.1"), 80};
const dataplane::RealKey kRealB{ip("10.0.0.2"), 80};

ConnKey tcpKey(std::uint16_t client_port, const char* client = "192.0.2.1") {
  return ConnKey{dataplane::Protocol::Tcp, ip(client), client_port, ip("198.18.0.100"), 80};
}

ConnKey udpKey(std::uint16_t client_port) {
  return ConnKey{dataplane::Protocol::Udp, ip("192.0.2.1"), client_port, ip("198.18.0.100"), 53};
}

// The state after a packet, checking its expiry too.
void expectState(const ConnTable::Conn* c, ConnState state, Micros expires) {
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(connStateName(c->state), connStateName(state));
  EXPECT_EQ(c->expires, expires);
}

TEST(ConnTableTest, StateNames) {
  EXPECT_EQ(connStateName(ConnState::SynRecv), "SYN_RECV");
  EXPECT_EQ(connStateName(ConnState::Established), "ESTABLISHED");
  EXPECT_EQ(connStateName(ConnState::FinWait), "FIN_WAIT");
  EXPECT_EQ(connStateName(ConnState::CloseWait), "CLOSE_WAIT");
  EXPECT_EQ(connStateName(ConnState::TimeWait), "TIME_WAIT");
  EXPECT_EQ(connStateName(ConnState::Close), "CLOSE");
  EXPECT_EQ(connStateName(ConnState::Udp), "UDP");
}

TEST(ConnTableTest, ClientClosesFirst) {
  ConnTable t;
  auto k = tcpKey(40000);
  t.add(k, kService, kRealA, kSyn, std::nullopt, seconds(0));
  expectState(t.find(k), ConnState::SynRecv, seconds(60));
  expectState(t.packet(k, kSynAck, false, seconds(1)), ConnState::SynRecv, seconds(61));
  expectState(t.packet(k, kAck, true, seconds(2)), ConnState::Established, seconds(902));
  expectState(t.packet(k, kAck, false, seconds(3)), ConnState::Established, seconds(903));
  expectState(t.packet(k, kFin, true, seconds(100)), ConnState::FinWait, seconds(220));
  expectState(t.packet(k, kAck, false, seconds(101)), ConnState::FinWait, seconds(221));
  expectState(t.packet(k, kFin, false, seconds(102)), ConnState::TimeWait, seconds(222));
  expectState(t.packet(k, kAck, true, seconds(103)), ConnState::TimeWait, seconds(223));
  EXPECT_NE(t.packet(k, kAck, true, seconds(223) - microseconds(1)), nullptr);
  EXPECT_EQ(t.find(k)->expires, seconds(343) - microseconds(1));
  EXPECT_EQ(t.packet(k, kAck, true, seconds(343)), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTableTest, ServerClosesFirst) {
  ConnTable t;
  auto k = tcpKey(40001);
  t.add(k, kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.packet(k, kAck, true, seconds(1));
  expectState(t.packet(k, kFin, false, seconds(10)), ConnState::CloseWait, seconds(70));
  expectState(t.packet(k, kAck, true, seconds(11)), ConnState::CloseWait, seconds(71));
  expectState(t.packet(k, kFin, true, seconds(12)), ConnState::TimeWait, seconds(132));
  EXPECT_EQ(t.packet(k, kAck, true, seconds(132)), nullptr);
}

TEST(ConnTableTest, ResetClosesFromEitherSide) {
  ConnTable t;
  auto a = tcpKey(40002);
  auto b = tcpKey(40003);
  t.add(a, kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.add(b, kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.packet(a, kAck, true, seconds(1));
  expectState(t.packet(a, kRst, true, seconds(5)), ConnState::Close, seconds(15));
  expectState(t.packet(b, kRst, false, seconds(5)), ConnState::Close, seconds(15));
  EXPECT_EQ(t.expire(seconds(14)), 0u);
  EXPECT_EQ(t.expire(seconds(15)), 2u);
}

TEST(ConnTableTest, SynRecvExpiresAfterItsTimeout) {
  ConnTable t;
  auto k = tcpKey(40004);
  t.add(k, kService, kRealA, kSyn, std::nullopt, seconds(0));
  EXPECT_EQ(t.packet(k, kAck, true, seconds(60)), nullptr);
  EXPECT_EQ(t.find(k), nullptr);
  EXPECT_EQ(t.packet(k, kAck, true, seconds(61)), nullptr);
}

TEST(ConnTableTest, ClientSynReopensAClosedConnection) {
  ConnTable t;
  auto k = tcpKey(40005);
  t.add(k, kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.packet(k, kRst, false, seconds(1));
  expectState(t.packet(k, kSyn, true, seconds(2)), ConnState::SynRecv, seconds(62));
  t.packet(k, kAck, true, seconds(3));
  // A stray SYN does not knock an established connection back.
  expectState(t.packet(k, kSyn, true, seconds(4)), ConnState::Established, seconds(904));
}

TEST(ConnTableTest, CustomTimeouts) {
  ConnTimeouts timeouts;
  timeouts.established = seconds(30);
  ConnTable t(timeouts);
  auto k = tcpKey(40006);
  t.add(k, kService, kRealA, kAck, std::nullopt, seconds(0));  // picked up midway
  expectState(t.find(k), ConnState::Established, seconds(30));
  EXPECT_EQ(timeouts.of(ConnState::Udp), seconds(300));
  EXPECT_EQ(timeouts.of(ConnState::Close), seconds(10));
}

TEST(ConnTableTest, UdpIdleTimeoutIs300Seconds) {
  ConnTable t;
  auto k = udpKey(5353);
  t.add(k, kUdpService, kRealA, {}, std::nullopt, seconds(0));
  expectState(t.find(k), ConnState::Udp, seconds(300));
  expectState(t.packet(k, kSyn, false, seconds(299)), ConnState::Udp, seconds(599));
  EXPECT_EQ(t.expire(seconds(598)), 0u);
  EXPECT_EQ(t.packet(k, {}, true, seconds(599)), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTableTest, CountsEstablishedAsActiveAndTheRestAsInactive) {
  ConnTable t;
  for (std::uint16_t port : {1000, 1001}) {
    t.add(tcpKey(port), kService, kRealA, kSyn, std::nullopt, seconds(0));
    t.packet(tcpKey(port), kAck, true, seconds(1));
  }
  t.add(tcpKey(1002), kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.add(tcpKey(1003), kService, kRealA, kSyn, std::nullopt, seconds(0));
  t.packet(tcpKey(1003), kAck, true, seconds(1));
  t.packet(tcpKey(1003), kFin, true, seconds(2));
  t.add(udpKey(1004), kUdpService, kRealA, {}, std::nullopt, seconds(0));
  t.add(tcpKey(1005), kService, kRealB, kSyn, std::nullopt, seconds(0));
  t.packet(tcpKey(1005), kAck, true, seconds(1));

  auto a = t.counts(kService, kRealA);
  EXPECT_EQ(a.active, 2u);
  EXPECT_EQ(a.inactive, 2u);
  auto udp = t.counts(kUdpService, kRealA);
  EXPECT_EQ(udp.active, 0u);
  EXPECT_EQ(udp.inactive, 1u);
  auto b = t.counts(kService, kRealB);
  EXPECT_EQ(b.active, 1u);
  EXPECT_EQ(b.inactive, 0u);
}

TEST(ConnTableTest, AddReplacesAConnectionWithTheSameKey) {
  PersistenceTable p;
  ConnTable t({}, &p);
  auto tk = templateKey(dataplane::Service{.key = kService}, ip("192.0.2.1"));
  p.connectionStarted(tk, kRealA, seconds(300), seconds(0));
  auto k = tcpKey(40007);
  t.add(k, kService, kRealA, kSyn, tk, seconds(0));
  t.add(k, kService, kRealB, kSyn, std::nullopt, seconds(5));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find(k)->real, kRealB);
  EXPECT_EQ(p.find(tk)->controlled, 0u);
  EXPECT_EQ(p.find(tk)->expires, seconds(305));
}

class RealGoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpl_a_ = templateKey(service_, ip("192.0.2.1"));
    tmpl_b_ = templateKey(service_, ip("192.0.2.2"));
    persistence_.connectionStarted(tmpl_a_, kRealA, seconds(300), seconds(0));
    persistence_.connectionStarted(tmpl_a_, kRealA, seconds(300), seconds(0));
    persistence_.connectionStarted(tmpl_b_, kRealB, seconds(300), seconds(0));
    table_.add(tcpKey(1), kService, kRealA, kSyn, tmpl_a_, seconds(0));
    table_.add(tcpKey(2), kService, kRealA, kSyn, tmpl_a_, seconds(0));
    table_.add(tcpKey(3, "192.0.2.2"), kService, kRealB, kSyn, tmpl_b_, seconds(0));
    table_.packet(tcpKey(1), kAck, true, seconds(7));
  }

  dataplane::Service service_{.key = kService, .persistence_timeout = seconds(300)};
  TemplateKey tmpl_a_;
  TemplateKey tmpl_b_;
  PersistenceTable persistence_;
  ConnTable table_{{}, &persistence_};
};

TEST_F(RealGoneTest, ExpireForgetsItsConnectionsAndTemplates) {
  EXPECT_EQ(table_.realGone(kService, kRealA, NoDestPolicy::Expire), 2u);
  EXPECT_EQ(table_.find(tcpKey(1)), nullptr);
  EXPECT_EQ(table_.find(tcpKey(2)), nullptr);
  EXPECT_NE(table_.find(tcpKey(3, "192.0.2.2")), nullptr);
  EXPECT_EQ(table_.packet(tcpKey(1), kAck, true, seconds(8)), nullptr);
  EXPECT_EQ(persistence_.find(tmpl_a_), nullptr);
  ASSERT_NE(persistence_.find(tmpl_b_), nullptr);
  EXPECT_EQ(persistence_.find(tmpl_b_)->controlled, 1u);
  EXPECT_EQ(table_.counts(kService, kRealA).active, 0u);
  EXPECT_EQ(table_.counts(kService, kRealA).inactive, 0u);
}

TEST_F(RealGoneTest, KeepLeavesThemForwarding) {
  EXPECT_EQ(table_.realGone(kService, kRealA, NoDestPolicy::Keep), 0u);
  EXPECT_EQ(table_.size(), 3u);
  expectState(table_.packet(tcpKey(1), kAck, true, seconds(8)), ConnState::Established,
              seconds(908));
  EXPECT_EQ(persistence_.find(tmpl_a_)->controlled, 2u);
}

TEST_F(RealGoneTest, ReleasesARepointedTemplateAsOfTheLastPacket) {
  // The template moved to B while A's connections were open; A then leaves.
  persistence_.connectionStarted(tmpl_a_, kRealB, seconds(300), seconds(5));
  EXPECT_EQ(table_.realGone(kService, kRealA, NoDestPolicy::Expire), 2u);
  const auto* e = persistence_.find(tmpl_a_);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->real, kRealB);
  EXPECT_EQ(e->controlled, 1u);
}

TEST_F(RealGoneTest, TemplateReleasedWhenItsConnectionExpires) {
  // Connections 2 and 3 stay in SYN_RECV and die at 60 s; connection 1 lives until 907 s.
  EXPECT_EQ(table_.expire(seconds(60)), 2u);
  EXPECT_EQ(persistence_.find(tmpl_a_)->controlled, 1u);
  EXPECT_EQ(persistence_.find(tmpl_b_)->controlled, 0u);
  // Connection 1 dies at 907 s; the sweep runs later, but the template's timer starts at 907 s.
  EXPECT_EQ(table_.expire(seconds(1000)), 1u);
  const auto* e = persistence_.find(tmpl_a_);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->controlled, 0u);
  EXPECT_EQ(e->expires, seconds(1207));
  EXPECT_EQ(persistence_.lookup(tmpl_a_, seconds(1206)), kRealA);
  EXPECT_EQ(persistence_.lookup(tmpl_a_, seconds(1207)), std::nullopt);
}

TEST_F(RealGoneTest, TemplateReleasedWhenAPacketFindsItsConnectionExpired) {
  EXPECT_EQ(table_.packet(tcpKey(3, "192.0.2.2"), kAck, true, seconds(70)), nullptr);
  const auto* e = persistence_.find(tmpl_b_);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->controlled, 0u);
  EXPECT_EQ(e->expires, seconds(360));  // released as of its expiry at 60 s
}

}  // namespace
}  // namespace keel::lb
