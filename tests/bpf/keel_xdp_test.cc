// keel_xdp forwarding through BPF_PROG_TEST_RUN: DR, NAT, TUN (IPIP, GUE), connection table,
// consistent hashing, persistence, weight 0 and the traffic that must pass untouched.
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "fixture.h"

namespace keel::bpftest {
namespace {

TEST_F(XdpTest, DrIpv4SynRewritesMacsAndTransmitsOnTheIngressInterface) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  Bytes in = fromClient(client4, vip4).tcp(40000, 80, kSyn).payload("hello").build();
  RunResult r = h->run(in);
  ASSERT_EQ(r.verdict, XDP_TX);
  keel_real real = makeReal(real4a, KEEL_FWD_DR);
  EXPECT_EQ(r.out, withMacs(in, realMac(real), ourMac(real))) << hex(r.out);
  EXPECT_EQ(h->counter(KEEL_EV_NEW_SYN), 1u);
  keel_stats s = h->serviceStats(0);
  EXPECT_EQ(s.conns, 1u);
  EXPECT_EQ(s.in_packets, 1u);
  EXPECT_EQ(s.in_bytes, in.size() - 14);
  EXPECT_EQ(h->realStats(1).in_packets, 1u);
}

// A frame for the VIP addressed to another host's MAC reached this director because a switch
// flooded it (the VRRP MASTER is the one to forward it): it passes to the kernel, which drops it,
// instead of reaching a real a second time. A frame to our own MAC is forwarded, whatever the
// VRRP state.
TEST_F(XdpTest, AFrameForAnotherHostsMacPassesOneForOursIsForwarded) {
  h->setIfMac(kIngress, kDirectorMac);
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  const Mac master{0x02, 0xd1, 0, 0, 0, 0x02};
  PacketBuilder flooded;
  flooded.eth(master, kClientMac).ip(client4, vip4).tcp(40000, 80, kSyn).payload("hello");
  Bytes in = flooded.build();
  RunResult r = h->run(in);
  EXPECT_EQ(r.verdict, XDP_PASS);
  EXPECT_EQ(r.out, in);
  EXPECT_EQ(h->counter(KEEL_PASS_OTHER_HOST), 1u);
  EXPECT_EQ(h->counter(KEEL_EV_NEW_SYN), 0u);
  EXPECT_EQ(h->serviceStats(0).in_packets, 0u);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build()).verdict, XDP_TX);
  EXPECT_EQ(h->counter(KEEL_PASS_OTHER_HOST), 1u);
  EXPECT_EQ(h->serviceStats(0).in_packets, 1u);
}

TEST_F(XdpTest, ANatReplyForAnotherHostsMacIsNotTranslated) {
  h->setIfMac(kIngress, kDirectorMac);
  keel_real r = makeReal(real4a, KEEL_FWD_NAT, kIngress, 8080);
  h->setReal(1, r);
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  ASSERT_EQ(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build()).verdict, XDP_TX);
  PacketBuilder reply;
  reply.eth({0x02, 0xd1, 0, 0, 0, 0x02}, realMac(r)).ip(real4a, client4).tcp(8080, 40000);
  Bytes in = reply.build();
  RunResult rev = h->run(in);
  EXPECT_EQ(rev.verdict, XDP_PASS);
  EXPECT_EQ(rev.out, in);  // untouched: the other director answers for it
  EXPECT_EQ(h->counter(KEEL_EV_NAT_REPLY), 0u);
  EXPECT_EQ(h->counter(KEEL_PASS_OTHER_HOST), 1u);
}

TEST_F(XdpTest, DrRedirectsWhenTheRealIsBehindAnotherInterface) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR, /*ifindex=*/7));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  Bytes in = fromClient(client4, vip4).tcp(40000, 80, kSyn).build();
  RunResult r = h->run(in);
  EXPECT_EQ(r.verdict, XDP_REDIRECT);
  keel_real real = makeReal(real4a, KEEL_FWD_DR, 7);
  EXPECT_EQ(r.out, withMacs(in, realMac(real), ourMac(real)));
}

TEST_F(XdpTest, DrIpv6) {
  h->setReal(1, makeReal(real6a, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->addService(vip6, 443, KEEL_PROTO_TCP, 0);
  Bytes in = fromClient(client6, vip6).tcp(40000, 443, kSyn).payload("x").build();
  RunResult r = h->run(in);
  ASSERT_EQ(r.verdict, XDP_TX);
  keel_real real = makeReal(real6a, KEEL_FWD_DR);
  EXPECT_EQ(r.out, withMacs(in, realMac(real), ourMac(real)));
}

TEST_F(XdpTest, UdpServiceAndPortZeroService) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->fillRing(1, {1});
  h->addService(vip4, 53, KEEL_PROTO_UDP, 0);
  h->addService(vip4, 0, KEEL_PROTO_TCP, 1);  // all TCP ports
  EXPECT_EQ(h->run(fromClient(client4, vip4).udp(5000, 53).payload("q").build()).verdict, XDP_TX);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(5000, 8443, kSyn).build()).verdict, XDP_TX);
  EXPECT_EQ(h->serviceStats(1).conns, 1u);
  // UDP to another port is not a service
  EXPECT_EQ(h->run(fromClient(client4, vip4).udp(5000, 54).build()).verdict, XDP_PASS);
}

void natCheck(XdpHarness& h, const Addr& client, const Addr& vip, const Addr& real, bool udp) {
  keel_real r = makeReal(real, KEEL_FWD_NAT, kIngress, 8080);
  h.setReal(1, r);
  h.fillRing(0, {1});
  h.addService(vip, 80, udp ? KEEL_PROTO_UDP : KEEL_PROTO_TCP, 0);
  auto l4 = [&](PacketBuilder& b, std::uint16_t s, std::uint16_t d) -> PacketBuilder& {
    return udp ? b.udp(s, d) : b.tcp(s, d, kSyn);
  };
  PacketBuilder in, want;
  in.eth(kDirectorMac, kClientMac).ip(client, vip);
  l4(in, 40000, 80).payload("GET / HTTP/1.0\r\n\r\n");
  want.eth(realMac(r), ourMac(r)).ip(client, real);
  l4(want, 40000, 8080).payload("GET / HTTP/1.0\r\n\r\n");
  RunResult fwd = h.run(in.build());
  ASSERT_EQ(fwd.verdict, XDP_TX);
  // The expected packet is built from scratch: equal bytes means the program's incremental
  // IPv4 and L4 checksum updates equal a full recomputation.
  EXPECT_EQ(fwd.out, want.build()) << hex(fwd.out) << "\nwant\n" << hex(want.build());
  EXPECT_EQ(h.natEntries(), 1);

  PacketBuilder reply, back;
  reply.eth(kDirectorMac, realMac(r)).ip(real, client);
  l4(reply, 8080, 40000).payload("HTTP/1.0 200 OK\r\n\r\n");
  back.eth(kDirectorMac, realMac(r)).ip(vip, client);
  l4(back, 80, 40000).payload("HTTP/1.0 200 OK\r\n\r\n");
  RunResult rev = h.run(reply.build());
  // The FIB of the test's namespace has no route to the client: the kernel gets it (PASS).
  EXPECT_EQ(rev.verdict, XDP_PASS);
  EXPECT_EQ(rev.out, back.build()) << hex(rev.out) << "\nwant\n" << hex(back.build());
  EXPECT_EQ(h.counter(KEEL_EV_NAT_REPLY), 1u);
  EXPECT_EQ(h.serviceStats(0).out_packets, 1u);
}

TEST_F(XdpTest, NatIpv4TcpDnatAndReverseSnat) { natCheck(*h, client4, vip4, real4a, false); }
TEST_F(XdpTest, NatIpv4UdpDnatAndReverseSnat) { natCheck(*h, client4, vip4, real4a, true); }
TEST_F(XdpTest, NatIpv6TcpDnatAndReverseSnat) { natCheck(*h, client6, vip6, real6a, false); }
TEST_F(XdpTest, NatIpv6UdpDnatAndReverseSnat) { natCheck(*h, client6, vip6, real6a, true); }

TEST_F(XdpTest, NatKeepsAnAbsentIpv4UdpChecksumAbsent) {
  keel_real r = makeReal(real4a, KEEL_FWD_NAT, kIngress, 5353);
  h->setReal(1, r);
  h->fillRing(0, {1});
  h->addService(vip4, 53, KEEL_PROTO_UDP, 0);
  PacketBuilder in = fromClient(client4, vip4);
  in.udp(40000, 53).payload("query");
  in.lastUdp().zero_checksum = true;
  PacketBuilder want;
  want.eth(realMac(r), ourMac(r)).ip(client4, real4a).udp(40000, 5353).payload("query");
  want.lastUdp().zero_checksum = true;
  RunResult out = h->run(in.build());
  ASSERT_EQ(out.verdict, XDP_TX);
  EXPECT_EQ(out.out, want.build()) << hex(out.out);
}

TEST_F(XdpTest, NatReplyWithoutEntryPassesUntouched) {
  Bytes in = fromClient(real4a, client4).tcp(8080, 40000).build();
  RunResult r = h->run(in);
  EXPECT_EQ(r.verdict, XDP_PASS);
  EXPECT_EQ(r.out, in);
}

TEST_F(XdpTest, NatToARealOfTheOtherFamilyIsDropped) {
  h->setReal(1, makeReal(real6a, KEEL_FWD_NAT));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(1, 80, kSyn).build()).verdict, XDP_DROP);
  EXPECT_EQ(h->counter(KEEL_DROP_FAMILY), 1u);
}

std::uint32_t hashOf(const Addr& client, std::uint16_t sport, std::uint16_t dport) {
  __u32 src[4];
  std::memcpy(src, client.bytes.data(), 16);
  return keel_flow_hash(src, (static_cast<std::uint32_t>(htons(sport)) << 16) | htons(dport));
}

// The outer headers a TUN real gets: IPv4 or IPv6 by the real's family, UDP for GUE.
Bytes tunnelled(const Bytes& in, const keel_real& r, const Addr& real, const Addr& source, bool gue,
                std::uint32_t hash) {
  Bytes inner(in.begin() + 14, in.end());
  bool inner6 = in[12] == 0x86;
  PacketBuilder b;
  b.eth(realMac(r), ourMac(r));
  if (real.family == 4) {
    b.ipv4(source, real, gue ? 17 : (inner6 ? 41 : 4));
    b.lastIpv4().id = 0;
  } else {
    b.ipv6(source, real, gue ? 17 : (inner6 ? 41 : 4));
  }
  if (gue) {
    b.udp(static_cast<std::uint16_t>(0xc000 | (hash & 0x3fff)), KEEL_GUE_PORT_DEFAULT);
    b.lastUdp().zero_checksum = true;
  }
  Bytes out = b.raw(inner).build();
  if (real.family == 6) {  // the flow label carries the hash
    out[15] |= static_cast<std::uint8_t>((hash >> 16) & 0x0f);
    out[16] = static_cast<std::uint8_t>(hash >> 8);
    out[17] = static_cast<std::uint8_t>(hash);
  }
  return out;
}

void tunCheck(XdpHarness& h, const Addr& client, const Addr& vip, const Addr& real,
              const Addr& source, keel_forwarding fwd) {
  keel_real r = makeReal(real, fwd);
  h.setReal(1, r);
  h.fillRing(0, {1});
  h.addService(vip, 80, KEEL_PROTO_TCP, 0);
  PacketBuilder b;
  b.eth(kDirectorMac, kClientMac).ip(client, vip).tcp(40000, 80, kSyn).payload("tunnel me");
  Bytes in = b.build();
  RunResult out = h.run(in);
  ASSERT_EQ(out.verdict, XDP_TX);
  Bytes want = tunnelled(in, r, real, source, fwd == KEEL_FWD_TUN_GUE, hashOf(client, 40000, 80));
  EXPECT_EQ(out.out, want) << hex(out.out) << "\nwant\n" << hex(want);
}

TEST_F(XdpTest, TunIpipIpv4InIpv4) {
  tunCheck(*h, client4, vip4, real4a, addr("198.18.0.254"), KEEL_FWD_TUN_IPIP);
}
TEST_F(XdpTest, TunIpipIpv6InIpv6) {
  tunCheck(*h, client6, vip6, real6a, addr("2001:db8:ff::fe"), KEEL_FWD_TUN_IPIP);
}
TEST_F(XdpTest, TunIpipIpv4InIpv6) {
  tunCheck(*h, client4, vip4, real6a, addr("2001:db8:ff::fe"), KEEL_FWD_TUN_IPIP);
}
TEST_F(XdpTest, TunGueIpv4) {
  tunCheck(*h, client4, vip4, real4a, addr("198.18.0.254"), KEEL_FWD_TUN_GUE);
}
TEST_F(XdpTest, TunGueIpv6) {
  tunCheck(*h, client6, vip6, real6a, addr("2001:db8:ff::fe"), KEEL_FWD_TUN_GUE);
}

TEST_F(XdpTest, TunWithoutDirectorAddressIsDropped) {
  h->setConfig(keel_config{});
  h->setReal(1, makeReal(real4a, KEEL_FWD_TUN_IPIP));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(1, 80, kSyn).build()).verdict, XDP_DROP);
  EXPECT_EQ(h->counter(KEEL_DROP_NO_TUN_SRC), 1u);
}

TEST_F(XdpTest, TunPacketThatWouldExceedTheMtuIsDropped) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_TUN_GUE));
  h->fillRing(0, {1});
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  // 20 + 20 + 1460 = 1500 inner bytes; + 28 of IPv4 and UDP is too big for 1500
  Bytes in = fromClient(client4, vip4).tcp(1, 80).raw(Bytes(1460, 'x')).build();
  EXPECT_EQ(h->run(in).verdict, XDP_DROP);
  EXPECT_EQ(h->counter(KEEL_DROP_TOO_BIG), 1u);
  Bytes fits = fromClient(client4, vip4).tcp(1, 80).raw(Bytes(1432, 'x')).build();
  EXPECT_EQ(h->run(fits).verdict, XDP_TX);
}

TEST_F(XdpTest, ConnectionEntryKeepsTheRealAfterTheRingChanges) {
  drService(vip4, real4a, real4b);
  h->fillRing(0, {1});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 1u);
  h->fillRing(0, {2});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 1u);
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck | kFin).build())), 1u);
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40001, 80, kSyn).build())), 2u);
  EXPECT_EQ(h->serviceStats(0).conns, 2u);
  EXPECT_EQ(h->realStats(1).in_packets, 3u);
}

TEST_F(XdpTest, MidFlowPacketWithoutEntryIsScheduledByTheSharedHash) {
  drService(vip4, real4a, real4b);
  XdpHarness other;  // a second director with the same rings
  ASSERT_TRUE(other.ok());
  other.setReal(1, makeReal(real4a, KEEL_FWD_DR));
  other.setReal(2, makeReal(real4b, KEEL_FWD_DR));
  other.fillRing(0, {1, 2});
  other.addService(vip4, 80, KEEL_PROTO_TCP, 0);
  std::set<std::uint32_t> seen;
  for (std::uint16_t port = 41000; port < 41032; ++port) {
    Bytes ack = fromClient(client4, vip4).tcp(port, 80, kAck).payload("mid").build();
    std::uint32_t want = slotFor(client4, port, 80) % 2 + 1;
    RunResult a = h->run(ack), b = other.run(ack);
    EXPECT_EQ(realOf(a), want) << port;
    EXPECT_EQ(a.out, b.out) << port;
    seen.insert(realOf(a));
  }
  EXPECT_EQ(seen.size(), 2u);  // both reals get flows
  EXPECT_EQ(h->counter(KEEL_EV_NEW_MIDFLOW), 32u);
  EXPECT_EQ(h->counter(KEEL_EV_NEW_SYN), 0u);
}

TEST_F(XdpTest, SynIsScheduledAgainEvenWithAnEntry) {
  drService(vip4, real4a, real4b);
  h->fillRing(0, {1});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 1u);
  h->fillRing(0, {2});
  // a new connection reusing the 5-tuple follows the ring, and its entry is replaced
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 2u);
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 2u);
}

TEST_F(XdpTest, RstForAnUnknownFlowIsForwardedWithoutState) {
  drService(vip4, real4a, real4b);
  h->fillRing(0, {1});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kRst).build())), 1u);
  EXPECT_EQ(h->counter(KEEL_EV_RST_NO_STATE), 1u);
  h->fillRing(0, {2});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 2u);
}

TEST_F(XdpTest, PersistencePinsAClientAcrossSourcePorts) {
  drService(vip4, real4a, real4b);
  h->addService(vip4, 443, KEEL_PROTO_TCP, 1, KEEL_SVC_F_PERSIST, 300, 24);
  h->fillRing(1, {1, 2});
  std::set<std::uint32_t> plain, persistent;
  for (std::uint16_t port = 42000; port < 42032; ++port) {
    plain.insert(realOf(h->run(fromClient(client4, vip4).tcp(port, 80, kSyn).build())));
    persistent.insert(realOf(h->run(fromClient(client4, vip4).tcp(port, 443, kSyn).build())));
  }
  EXPECT_EQ(plain.size(), 2u);
  ASSERT_EQ(persistent.size(), 1u);
  std::uint32_t pinned = *persistent.begin();
  EXPECT_EQ(pinned, slotForClient(addr("203.0.113.0")) % 2 + 1);  // hashed on the /24
  // another client of the same /24 shares the template
  EXPECT_EQ(realOf(h->run(fromClient(addr("203.0.113.99"), vip4).tcp(1, 443, kSyn).build())),
            pinned);
  // the template outlives a ring change, as an IPVS template does
  h->fillRing(1, {pinned == 1 ? 2u : 1u});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(50000, 443, kSyn).build())), pinned);
  EXPECT_GE(h->counter(KEEL_EV_PERSIST_HIT), 32u);
}

TEST_F(XdpTest, PersistenceTemplateExpires) {
  drService(vip4, real4a, real4b);
  h->addService(vip4, 443, KEEL_PROTO_TCP, 1, KEEL_SVC_F_PERSIST, /*timeout s=*/0, 32);
  h->fillRing(1, {1});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(1, 443, kSyn).build())), 1u);
  h->fillRing(1, {2});
  // a zero timeout has expired by the next packet
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(2, 443, kSyn).build())), 2u);
}

TEST_F(XdpTest, WeightZeroRealGetsNoNewFlowsButKeepsItsOwn) {
  drService(vip4, real4a, real4b);
  h->fillRing(0, {2});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 2u);
  keel_real quiesced = makeReal(real4b, KEEL_FWD_DR);
  quiesced.flags = KEEL_REAL_F_QUIESCED;
  h->setReal(2, quiesced);
  h->fillRing(0, {1});  // weight 0: out of the ring
  for (std::uint16_t port = 43000; port < 43064; ++port) {
    EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(port, 80, kSyn).build())), 1u);
    EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(port + 100, 80, kAck).build())), 1u);
  }
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 2u);
}

TEST_F(XdpTest, RemovedRealsFlowsAreScheduledAgain) {
  drService(vip4, real4a, real4b);
  h->fillRing(0, {2});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 2u);
  h->fillRing(0, {1});
  h->clearReal(2);
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 1u);
  EXPECT_EQ(h->counter(KEEL_EV_CONN_STALE), 1u);
}

TEST_F(XdpTest, IdleUdpEntryExpires) {
  keel_config cfg{};
  cfg.udp_timeout_ns = 1;
  h->setConfig(cfg);
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR));
  h->setReal(2, makeReal(real4b, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->addService(vip4, 53, KEEL_PROTO_UDP, 0);
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).udp(5000, 53).build())), 1u);
  h->fillRing(0, {2});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).udp(5000, 53).build())), 2u);
  EXPECT_EQ(h->counter(KEEL_EV_CONN_STALE), 1u);
}

TEST_F(XdpTest, OnePacketSchedulingKeepsNoEntry) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_DR));
  h->setReal(2, makeReal(real4b, KEEL_FWD_DR));
  h->fillRing(0, {1});
  h->addService(vip4, 53, KEEL_PROTO_UDP, 0, KEEL_SVC_F_NO_CONN);
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).udp(5000, 53).build())), 1u);
  h->fillRing(0, {2});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).udp(5000, 53).build())), 2u);
  EXPECT_EQ(h->counter(KEEL_EV_CONN_STALE), 0u);
}

TEST_F(XdpTest, ServiceWithAnEmptyRingDrops) {
  h->addService(vip4, 80, KEEL_PROTO_TCP, 0);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(1, 80, kSyn).build()).verdict, XDP_DROP);
  EXPECT_EQ(h->counter(KEEL_DROP_NO_REAL), 1u);
  h->fillRing(0, {9});  // a slot naming an unwritten real
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(1, 80, kSyn).build()).verdict, XDP_DROP);
  EXPECT_EQ(h->counter(KEEL_DROP_BAD_REAL), 1u);
}

// A flow's packets may be processed on another CPU than its SYN (a veth runs XDP on the
// sender's CPU, and the client may migrate): the entry must hold it there too, even after the
// ring changed under it (a reload that changed a weight), or the real resets the connection.
TEST_F(XdpTest, EntryWrittenOnOneCpuHoldsTheFlowOnAnother) {
  if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
    GTEST_SKIP() << "needs two CPUs";
  drService(vip4, real4a, real4b);
  h->fillRing(0, {1});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 1u);
  pinToCpu(1);
  h->fillRing(0, {2});
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 1u);
  EXPECT_EQ(h->counter(KEEL_EV_NEW_MIDFLOW), 0u);
  pinToCpu(0);
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 1u);
  // A new flow on either CPU takes the changed ring.
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40001, 80, kSyn).build())), 2u);
}

TEST_F(XdpTest, NonVipArpNdAndVrrpPassUntouched) {
  drService(vip4, real4a, real4b);
  h->addService(vip6, 80, KEEL_PROTO_TCP, 1);
  h->fillRing(1, {1});
  std::vector<Bytes> packets = {
      fromClient(client4, addr("198.51.100.11")).tcp(1, 80, kSyn).build(),  // other address
      fromClient(client4, vip4).tcp(1, 81, kSyn).build(),                   // other port
      fromClient(client4, vip4).udp(1, 80).build(),                         // other protocol
      PacketBuilder()
          .eth(Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kClientMac, 0x0806)
          .raw(Bytes(28, 1))
          .build(),  // ARP
      PacketBuilder()
          .eth(Mac{1, 0, 0x5e, 0, 0, 0x12}, kClientMac)
          .ipv4(addr("198.51.100.2"), addr("224.0.0.18"), 112)
          .raw(Bytes(20, 0x21))
          .build(),  // VRRP
      PacketBuilder()
          .eth(Mac{0x33, 0x33, 0, 0, 0, 0x12}, kClientMac)
          .ipv6(addr("fe80::1"), addr("ff02::12"), 112)
          .raw(Bytes(20, 0x31))
          .build(),  // VRRPv3
      PacketBuilder()
          .eth(Mac{0x33, 0x33, 0xff, 0, 0, 0x10}, kClientMac)
          .ipv6(addr("fe80::1"), addr("ff02::1:ff00:10"))
          .icmp(135)
          .raw(Bytes(16, 0))
          .build(),                                                 // NS
      fromClient(client6, vip6).icmp(128).payload("ping").build(),  // echo to a VIP
      fromClient(client4, vip4).icmp(8).payload("ping").build(),
      PacketBuilder()  // unicast VRRP (unicast_peer), even to a VIP address
          .eth(kDirectorMac, kClientMac)
          .ipv4(addr("198.51.100.2"), vip4, 112)
          .raw(Bytes(20, 0x21))
          .build(),
      PacketBuilder()  // a SYN to the VIP, but broadcast
          .eth(Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kClientMac)
          .ipv4(client4, vip4)
          .tcp(1, 80, kSyn)
          .build(),
  };
  for (const Bytes& p : packets) {
    RunResult r = h->run(p);
    EXPECT_EQ(r.verdict, XDP_PASS) << hex(p);
    EXPECT_EQ(r.out, p);
  }
  for (int c = 0; c < KEEL_COUNTER_MAX; ++c) EXPECT_EQ(h->counter(keel_counter(c)), 0u) << c;
}

}  // namespace
}  // namespace keel::bpftest
