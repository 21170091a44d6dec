// keel_xdp against the hostile packets of reliability.md §2.5: each case's verdict, the bytes
// that leave and the named counter.
#include <gtest/gtest.h>

#include "fixture.h"

namespace keel::bpftest {
namespace {

class XdpHostileTest : public XdpTest {
 protected:
  void SetUp() override {
    XdpTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    drService(vip4, real4a, real4b);
    h->addService(vip6, 80, KEEL_PROTO_TCP, 1);
    h->fillRing(1, {1});
    h->addService(vip4, 53, KEEL_PROTO_UDP, 2);
    h->fillRing(2, {1});
  }

  // Runs `p`, expects `verdict`, and for PASS that the packet left untouched.
  void expect(const Bytes& p, int verdict, keel_counter c, std::uint64_t count = 1) {
    RunResult r = h->run(p);
    EXPECT_EQ(r.verdict, verdict) << hex(p);
    if (verdict == XDP_PASS) {
      EXPECT_EQ(r.out, p);
    }
    EXPECT_EQ(h->counter(c), count);
  }
};

TEST_F(XdpHostileTest, FrameShorterThanEthernetIsRejectedByTheKernel) {
  // BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header, so such a frame never
  // reaches the program through it; the program's own check (DROP_MALFORMED_ETH) is the
  // verifier-required bound.
  EXPECT_LT(h->run(Bytes(13, 0)).verdict, 0);
}

TEST_F(XdpHostileTest, TruncatedAtEveryByteWithAnHonestLength) {
  // v4 SYN: 14 + 20 + 20 bytes. tot_len follows the truncation so that L4 cuts are L4 errors.
  for (std::size_t len = 14; len < 54; ++len) {
    PacketBuilder b = fromClient(client4, vip4);
    b.tcp(1, 80, kSyn);
    b.lastIpv4().tot_len_override = len >= 34 ? static_cast<int>(len - 14) : 20;
    Bytes p = b.build();
    p.resize(len);
    keel_counter c = len < 34 ? KEEL_DROP_MALFORMED_IPV4 : KEEL_DROP_MALFORMED_L4;
    std::uint64_t before = h->counter(c);
    EXPECT_EQ(h->run(p).verdict, XDP_DROP) << len;
    EXPECT_EQ(h->counter(c), before + 1) << len;
  }
  for (std::size_t len = 14; len < 42; ++len) {  // UDP: 14 + 20 + 8
    PacketBuilder b = fromClient(client4, vip4);
    b.udp(1, 53);
    b.lastIpv4().tot_len_override = len >= 34 ? static_cast<int>(len - 14) : 20;
    Bytes p = b.build();
    p.resize(len);
    EXPECT_EQ(h->run(p).verdict, XDP_DROP) << len;
  }
  for (std::size_t len = 14; len < 74; ++len) {  // v6: 14 + 40 + 20
    PacketBuilder b = fromClient(client6, vip6);
    b.tcp(1, 80, kSyn);
    b.lastIpv6().payload_len_override = len > 54 ? static_cast<int>(len - 54) : 20;
    Bytes p = b.build();
    p.resize(len);
    keel_counter c = len < 55 ? KEEL_DROP_MALFORMED_IPV6 : KEEL_DROP_MALFORMED_L4;
    std::uint64_t before = h->counter(c);
    EXPECT_EQ(h->run(p).verdict, XDP_DROP) << len;
    EXPECT_EQ(h->counter(c), before + 1) << len;
  }
}

TEST_F(XdpHostileTest, Ipv4LengthFieldsThatLie) {
  auto syn = [&] {
    PacketBuilder b = fromClient(client4, vip4);
    b.tcp(1, 80, kSyn);
    return b;
  };
  PacketBuilder ihl4 = syn();
  ihl4.lastIpv4().ihl_override = 4;
  expect(ihl4.build(), XDP_DROP, KEEL_DROP_MALFORMED_IPV4, 1);
  PacketBuilder ihl15 = syn();  // 60 bytes of header in a 40-byte packet
  ihl15.lastIpv4().ihl_override = 15;
  expect(ihl15.build(), XDP_DROP, KEEL_DROP_MALFORMED_IPV4, 2);
  PacketBuilder short_tot = syn();
  short_tot.lastIpv4().tot_len_override = 19;
  expect(short_tot.build(), XDP_DROP, KEEL_DROP_MALFORMED_IPV4, 3);
  PacketBuilder long_tot = syn();
  long_tot.lastIpv4().tot_len_override = 41;
  expect(long_tot.build(), XDP_DROP, KEEL_DROP_MALFORMED_IPV4, 4);
  Bytes v5 = syn().build();
  v5[14] = 0x55;  // version 5
  expect(v5, XDP_DROP, KEEL_DROP_MALFORMED_IPV4, 5);
}

TEST_F(XdpHostileTest, EthernetPaddingIsForwardedAndTrimmedBeforeEncapsulation) {
  Bytes p = fromClient(client4, vip4).tcp(1, 80, kSyn).build();
  Bytes padded = p;
  padded.resize(p.size() + 6, 0);
  keel_real r1 = makeReal(real4a, KEEL_FWD_DR);
  h->fillRing(0, {1});
  RunResult dr = h->run(padded);
  ASSERT_EQ(dr.verdict, XDP_TX);
  EXPECT_EQ(dr.out, withMacs(padded, realMac(r1), ourMac(r1)));  // the real's kernel trims
  h->setReal(1, makeReal(real4a, KEEL_FWD_TUN_IPIP));
  RunResult tun = h->run(padded);
  ASSERT_EQ(tun.verdict, XDP_TX);
  EXPECT_EQ(tun.out.size(), p.size() + 20);
  EXPECT_EQ(Bytes(tun.out.begin() + 34, tun.out.end()), Bytes(p.begin() + 14, p.end()));
}

TEST_F(XdpHostileTest, Ipv4OptionsAreForwardedForVipsAndPassedOtherwise) {
  PacketBuilder b = fromClient(client4, vip4);
  b.tcp(1, 80, kSyn);
  b.lastIpv4().options = {0x94, 0x04, 0, 0};  // router alert
  Bytes p = b.build();
  h->fillRing(0, {1});
  keel_real r1 = makeReal(real4a, KEEL_FWD_DR);
  RunResult r = h->run(p);
  EXPECT_EQ(r.verdict, XDP_TX);
  EXPECT_EQ(r.out, withMacs(p, realMac(r1), ourMac(r1)));
  EXPECT_EQ(h->counter(KEEL_EV_IPV4_OPTIONS), 1u);
  PacketBuilder other = fromClient(client4, addr("198.51.100.99"));
  other.tcp(1, 80, kSyn);
  other.lastIpv4().options = {0x01, 0x01, 0x01, 0x00};  // NOPs and EOL
  RunResult o = h->run(other.build());
  EXPECT_EQ(o.verdict, XDP_PASS);
  EXPECT_EQ(o.out, other.build());
}

TEST_F(XdpHostileTest, EveryIpv4FragmentPasses) {
  // first (MF, offset 0), middle, last: one verdict for all fragments of the datagram
  const std::uint16_t frags[] = {0x2000, 0x2000 | 3, 6};
  std::uint64_t n = 0;
  for (std::uint16_t f : frags) {
    PacketBuilder b = fromClient(client4, vip4);
    b.udp(1, 53).payload("fragment");
    b.lastIpv4().frag = f;
    expect(b.build(), XDP_PASS, KEEL_PASS_FRAGMENT, ++n);
  }
  PacketBuilder df = fromClient(client4, vip4);  // DF alone is not a fragment
  df.udp(1, 53);
  df.lastIpv4().frag = 0x4000;
  EXPECT_EQ(h->run(df.build()).verdict, XDP_TX);
}

TEST_F(XdpHostileTest, VlanTaggedFramesPass) {
  std::uint64_t n = 0;
  for (std::uint16_t tci : {100, 0 /* priority tag */}) {
    Bytes p = PacketBuilder()
                  .eth(kDirectorMac, kClientMac)
                  .vlan(tci)
                  .ipv4(client4, vip4)
                  .tcp(1, 80, kSyn)
                  .build();
    expect(p, XDP_PASS, KEEL_PASS_VLAN, ++n);
  }
  Bytes qinq = PacketBuilder()
                   .eth(kDirectorMac, kClientMac)
                   .vlan(10, 0x88a8)
                   .vlan(20)
                   .ipv4(client4, vip4)
                   .tcp(1, 80, kSyn)
                   .build();
  expect(qinq, XDP_PASS, KEEL_PASS_VLAN, 3);
}

TEST_F(XdpHostileTest, Ipv6ExtensionHeaders) {
  auto with = [&](std::vector<Ipv6Ext> ext) {
    PacketBuilder b = fromClient(client6, vip6);
    b.tcp(1, 80, kSyn);
    b.lastIpv6().ext = std::move(ext);
    return b.build();
  };
  Ipv6Ext hbh{0, Bytes(6, 0)}, dst{60, Bytes(6, 0)}, rt{43, Bytes(14, 0)}, ah{51, Bytes(10, 0)};
  // a short chain is walked and the packet balanced
  for (const auto& chain : {std::vector<Ipv6Ext>{hbh}, std::vector<Ipv6Ext>{hbh, dst, rt},
                            std::vector<Ipv6Ext>{hbh, rt, ah, dst}}) {
    Bytes p = with(chain);
    RunResult r = h->run(p);
    EXPECT_EQ(r.verdict, XDP_TX);
    keel_real r1 = makeReal(real6a, KEEL_FWD_DR);
    EXPECT_EQ(r.out, withMacs(p, realMac(r1), ourMac(r1)));
  }
  expect(with({hbh, dst, dst, dst, dst}), XDP_PASS, KEEL_PASS_IPV6_EXT, 1);  // over the bound
  Bytes esp = with({hbh});
  esp[54] = 50;  // HBH says ESP follows
  expect(esp, XDP_PASS, KEEL_PASS_IPV6_EXT, 2);
  expect(with({hbh, Ipv6Ext{44, Bytes(6, 0)}}), XDP_PASS, KEEL_PASS_FRAGMENT, 1);
  Bytes unknown = with({dst});
  unknown[54] = 132;  // SCTP: not balanced, no counter
  RunResult u = h->run(unknown);
  EXPECT_EQ(u.verdict, XDP_PASS);
  Bytes cut = with({hbh, Ipv6Ext{60, Bytes(14, 0)}});
  cut[63] = 200;  // the dest-options length runs past the packet
  expect(cut, XDP_DROP, KEEL_DROP_MALFORMED_IPV6, 1);
  PacketBuilder jumbo = fromClient(client6, vip6);
  jumbo.tcp(1, 80, kSyn);
  jumbo.lastIpv6().payload_len_override = 0;
  expect(jumbo.build(), XDP_DROP, KEEL_DROP_MALFORMED_IPV6, 2);
}

// Legitimate IPv6 whose extension headers reach past what the program walks (an SRv6 routing
// header with six segments, a long hop-by-hop header): passed to the kernel untouched — to a VIP
// or not, TCP, UDP or ICMPv6 — and counted, never dropped.
TEST_F(XdpHostileTest, Ipv6HeadersBeyondTheWalkPassUntouched) {
  Bytes srh_body(6 + 16 * 6, 0);  // routing type 4 (SRH), six 16-byte segments
  srh_body[0] = 4;
  srh_body[1] = 5;  // segments left
  srh_body[2] = 5;  // last entry
  const Ipv6Ext srh{43, srh_body};
  const Ipv6Ext long_hbh{0, Bytes(6 + 8 * 20, 1)};  // PadN-sized options, 168 bytes in all
  const Ipv6Ext hbh{0, Bytes(6, 0)};
  const Addr other6 = addr("2001:db8:7::9");  // not a VIP
  std::uint64_t passed = 0;
  for (const auto& chain : {std::vector<Ipv6Ext>{srh}, std::vector<Ipv6Ext>{hbh, srh},
                            std::vector<Ipv6Ext>{long_hbh}}) {
    for (const Addr& dst : {vip6, other6}) {
      PacketBuilder tcp = fromClient(client6, dst);
      tcp.tcp(40000, 80, kSyn).payload("hello");
      tcp.lastIpv6().ext = chain;
      expect(tcp.build(), XDP_PASS, KEEL_PASS_IPV6_EXT, ++passed);
      PacketBuilder udp = fromClient(client6, dst);
      udp.udp(40000, 53).payload("q");
      udp.lastIpv6().ext = chain;
      expect(udp.build(), XDP_PASS, KEEL_PASS_IPV6_EXT, ++passed);
      PacketBuilder icmp = fromClient(client6, dst);
      icmp.icmp(1, 4).raw(PacketBuilder().ipv6(dst, client6).tcp(80, 40000, kAck).build());
      icmp.lastIpv6().ext = chain;
      expect(icmp.build(), XDP_PASS, KEEL_PASS_IPV6_EXT, ++passed);
    }
  }
  EXPECT_EQ(h->counter(KEEL_DROP_MALFORMED_L4), 0U);
  EXPECT_EQ(h->counter(KEEL_DROP_MALFORMED_ICMP), 0U);
  EXPECT_EQ(h->counter(KEEL_DROP_MALFORMED_IPV6), 0U);
}

TEST_F(XdpHostileTest, TcpAndUdpHeadersThatLie) {
  PacketBuilder doff4 = fromClient(client4, vip4);
  doff4.tcp(1, 80, kSyn);
  doff4.lastTcp().doff_override = 4;
  expect(doff4.build(), XDP_DROP, KEEL_DROP_MALFORMED_L4, 1);
  PacketBuilder doff15 = fromClient(client4, vip4);
  doff15.tcp(1, 80, kSyn);
  doff15.lastTcp().doff_override = 15;
  expect(doff15.build(), XDP_DROP, KEEL_DROP_MALFORMED_L4, 2);
  Bytes udp = fromClient(client4, vip4).udp(1, 53).payload("abc").build();
  udp[38] = 0;
  udp[39] = 200;  // UDP length past the datagram
  expect(udp, XDP_DROP, KEEL_DROP_MALFORMED_L4, 3);
  udp[39] = 4;  // shorter than its own header
  expect(udp, XDP_DROP, KEEL_DROP_MALFORMED_L4, 4);
  // SYN+FIN and no flags are still flows of the service: forwarded, no crash
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(7, 80, kSyn | kFin).build()).verdict, XDP_TX);
  EXPECT_EQ(h->run(fromClient(client4, vip4).tcp(8, 80, 0).build()).verdict, XDP_TX);
}

TEST_F(XdpHostileTest, IcmpErrorQuotingAVipFlowGoesToThatFlowsReal) {
  h->fillRing(0, {2});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 2u);
  h->fillRing(0, {1});
  // a router on the client's path says the real's (VIP-sourced) reply needs fragmenting
  Bytes quoted = PacketBuilder().ipv4(vip4, client4).tcp(80, 40000, kAck).build();
  quoted.resize(28);  // IP header + the first 8 bytes of TCP, as RFC 792 promises
  Bytes icmp = PacketBuilder()
                   .eth(kDirectorMac, kClientMac)
                   .ipv4(addr("198.18.5.1"), vip4)
                   .icmp(3, 4, 1400)
                   .raw(quoted)
                   .build();
  RunResult r = h->run(icmp);
  EXPECT_EQ(r.verdict, XDP_TX);
  keel_real r2 = makeReal(real4b, KEEL_FWD_DR);
  EXPECT_EQ(r.out, withMacs(icmp, realMac(r2), ourMac(r2)));
  EXPECT_EQ(h->counter(KEEL_EV_ICMP_FORWARDED), 1u);
  EXPECT_EQ(h->serviceStats(0).conns, 1u);  // the error made no connection

  // unknown flow: by the same hash a SYN of that flow would use
  Bytes q2 = PacketBuilder().ipv4(vip4, client4).tcp(80, 40001, kAck).build();
  q2.resize(28);
  Bytes icmp2 = PacketBuilder()
                    .eth(kDirectorMac, kClientMac)
                    .ipv4(addr("198.18.5.1"), vip4)
                    .icmp(11)
                    .raw(q2)
                    .build();
  EXPECT_EQ(realOf(h->run(icmp2)), 1u);

  Bytes cut(quoted.begin(), quoted.begin() + 22);  // inner ports cut off
  Bytes bad = PacketBuilder()
                  .eth(kDirectorMac, kClientMac)
                  .ipv4(addr("198.18.5.1"), vip4)
                  .icmp(3, 4)
                  .raw(cut)
                  .build();
  expect(bad, XDP_DROP, KEEL_DROP_MALFORMED_ICMP, 1);

  Bytes other = PacketBuilder().ipv4(addr("198.51.100.99"), client4).tcp(80, 1).build();
  other.resize(28);
  Bytes nonvip = PacketBuilder()
                     .eth(kDirectorMac, kClientMac)
                     .ipv4(addr("198.18.5.1"), addr("198.51.100.99"))
                     .icmp(3, 4)
                     .raw(other)
                     .build();
  RunResult p = h->run(nonvip);
  EXPECT_EQ(p.verdict, XDP_PASS);
  EXPECT_EQ(p.out, nonvip);
}

TEST_F(XdpHostileTest, Icmpv6PacketTooBigQuotingAVipFlow) {
  h->setReal(3, makeReal(addr("2001:db8:2::3"), KEEL_FWD_DR));
  h->fillRing(1, {3});
  ASSERT_EQ(realOf(h->run(fromClient(client6, vip6).tcp(40000, 80, kSyn).build())), 3u);
  h->fillRing(1, {1});
  Bytes quoted = PacketBuilder().ipv6(vip6, client6).tcp(80, 40000, kAck).payload("data").build();
  Bytes ptb = PacketBuilder()
                  .eth(kDirectorMac, kClientMac)
                  .ipv6(addr("2001:db8:5::1"), vip6)
                  .icmp(2, 0, 1280)
                  .raw(quoted)
                  .build();
  RunResult r = h->run(ptb);
  EXPECT_EQ(r.verdict, XDP_TX);
  EXPECT_EQ(realOf(r), 3u);
  EXPECT_EQ(h->counter(KEEL_EV_ICMP_FORWARDED), 1u);
}

TEST_F(XdpHostileTest, IcmpErrorForANatServiceGoesToTheKernel) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_NAT));
  h->fillRing(0, {1});
  Bytes quoted = PacketBuilder().ipv4(vip4, client4).tcp(80, 40000, kAck).build();
  quoted.resize(28);
  Bytes icmp = PacketBuilder()
                   .eth(kDirectorMac, kClientMac)
                   .ipv4(addr("198.18.5.1"), vip4)
                   .icmp(3, 4, 1400)
                   .raw(quoted)
                   .build();
  expect(icmp, XDP_PASS, KEEL_PASS_ICMP, 1);
}

TEST_F(XdpHostileTest, AlreadyEncapsulatedTrafficIsNotEncapsulatedAgain) {
  h->setReal(1, makeReal(real4a, KEEL_FWD_TUN_IPIP));
  h->fillRing(0, {1});
  Bytes inner = PacketBuilder().ipv4(client4, vip4).tcp(1, 80, kSyn).build();
  Bytes ipip = PacketBuilder()
                   .eth(kDirectorMac, kClientMac)
                   .ipv4(addr("198.18.0.1"), vip4)
                   .raw(inner)
                   .build();
  ipip[14 + 9] = 4;  // IPPROTO_IPIP
  RunResult r = h->run(ipip);
  EXPECT_EQ(r.verdict, XDP_PASS);
  EXPECT_EQ(r.out, ipip);
}

TEST_F(XdpHostileTest, SynFloodFromRandomSourcesNeverFailsAndKeepsEstablishedFlows) {
  h->fillRing(0, {1});
  ASSERT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kSyn).build())), 1u);
  h->fillRing(0, {1, 2});
  for (std::uint32_t i = 0; i < 5000; ++i) {
    Addr src = addr("10.0.0.0");
    src.bytes[1] = static_cast<std::uint8_t>(i >> 16);
    src.bytes[2] = static_cast<std::uint8_t>(i >> 8);
    src.bytes[3] = static_cast<std::uint8_t>(i);
    ASSERT_EQ(h->run(fromClient(src, vip4).tcp(1024, 80, kSyn).build()).verdict, XDP_TX);
  }
  EXPECT_EQ(realOf(h->run(fromClient(client4, vip4).tcp(40000, 80, kAck).build())), 1u);
  for (int c = 0; c < KEEL_PASS_VLAN; ++c) EXPECT_EQ(h->counter(keel_counter(c)), 0u) << c;
}

}  // namespace
}  // namespace keel::bpftest
