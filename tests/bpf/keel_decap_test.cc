// keel_decap: what keel_xdp's TUN forwarding sends from a director to this host comes out as the
// bare inner packet; a forged tunnel packet (from anyone else, to another address, with lengths
// that lie) is not opened.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "decap_abi.h"
#include "fixture.h"
#include "keel_decap.skel.h"
#include "packet.h"
#include "xdp_harness.h"

namespace keel::bpftest {
namespace {

class DecapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string why = bpfUnavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    skel_ = keel_decap__open_and_load();
    ASSERT_NE(skel_, nullptr);
    for (const Addr& d : {d4, d6}) allow(skel_->maps.keel_decap_directors, d);
    for (const Addr& l : {r4, r6}) allow(skel_->maps.keel_decap_locals, l);
  }

  static void allow(bpf_map* map, const Addr& a) {
    keel_decap_addr key{};
    key.family = static_cast<__u8>(a.family);
    std::memcpy(key.addr, a.bytes.data(), a.size());
    const __u8 one = 1;
    ASSERT_EQ(bpf_map__update_elem(map, &key, sizeof key, &one, sizeof one, BPF_ANY), 0);
  }

  std::uint64_t counter(keel_decap_counter c) const {
    const auto n = static_cast<std::size_t>(libbpf_num_possible_cpus());
    std::vector<std::uint64_t> values(n);
    const std::uint32_t key = c;
    if (bpf_map__lookup_elem(skel_->maps.keel_decap_stats, &key, sizeof key, values.data(),
                             values.size() * sizeof(std::uint64_t), 0) != 0) {
      return 0;
    }
    std::uint64_t sum = 0;
    for (std::uint64_t v : values) sum += v;
    return sum;
  }

  // A tunnel packet: `inner` in an outer `src` -> `dst` header (plus UDP to the GUE port).
  Bytes tunnel(const Addr& src, const Addr& dst, const Bytes& inner, bool gue = false) const {
    PacketBuilder t;
    t.eth(b, a);
    const std::uint8_t proto = gue ? 17 : ((inner[0] >> 4) == 4 ? 4 : 41);
    if (src.family == 4)
      t.ipv4(src, dst, proto);
    else
      t.ipv6(src, dst, proto);
    if (gue) t.udp(0xc123, KEEL_GUE_PORT_DEFAULT);
    return t.raw(inner).build();
  }
  void TearDown() override { keel_decap__destroy(skel_); }

  RunResult run(const Bytes& in) {
    RunResult r;
    r.out.assign(in.size() + 64, 0);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = r.out.data(),
                .data_size_in = static_cast<std::uint32_t>(in.size()),
                .data_size_out = static_cast<std::uint32_t>(r.out.size()));
    if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.keel_decap), &opts) != 0) return r;
    r.verdict = static_cast<int>(opts.retval);
    r.out.resize(opts.data_size_out);
    return r;
  }

  keel_decap* skel_ = nullptr;
  const Mac a{2, 0, 0, 0, 0, 1}, b{2, 0, 0, 0, 0, 2};
  const Addr d4 = addr("198.18.0.254"), r4 = addr("192.0.2.1");  // director, this host
  const Addr d6 = addr("2001:db8:ff::fe"), r6 = addr("2001:db8:2::1");
};

TEST_F(DecapTest, StripsIpipGueAndMixedFamilies) {
  const Addr c4 = addr("203.0.113.7"), v4 = addr("198.51.100.10");
  const Addr c6 = addr("2001:db8:c::7"), v6 = addr("2001:db8:100::10");
  struct Case {
    Addr client, vip, outer_src, outer_dst;
    bool gue;
  };
  for (const Case& c :
       {Case{c4, v4, d4, r4, false}, Case{c6, v6, d6, r6, false}, Case{c4, v4, d6, r6, false},
        Case{c6, v6, d4, r4, false}, Case{c4, v4, d4, r4, true}, Case{c6, v6, d6, r6, true}}) {
    Bytes inner = PacketBuilder().ip(c.client, c.vip).tcp(40000, 80, kSyn).payload("hi").build();
    PacketBuilder t;
    t.eth(b, a);
    std::uint8_t proto = c.gue ? 17 : (c.client.family == 4 ? 4 : 41);
    if (c.outer_src.family == 4)
      t.ipv4(c.outer_src, c.outer_dst, proto);
    else
      t.ipv6(c.outer_src, c.outer_dst, proto);
    if (c.gue) t.udp(0xc123, KEEL_GUE_PORT_DEFAULT);
    Bytes in = t.raw(inner).build();
    Bytes want = PacketBuilder().eth(b, a).raw(inner).build();
    want[12] = c.client.family == 4 ? 0x08 : 0x86;
    want[13] = c.client.family == 4 ? 0x00 : 0xdd;
    RunResult r = run(in);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.out, want) << hex(r.out) << "\nwant\n" << hex(want);
  }
}

TEST_F(DecapTest, OtherTrafficPassesUntouched) {
  const Addr x = addr("192.0.2.9"), y = addr("192.0.2.1");
  for (const Bytes& in : {PacketBuilder().eth(b, a).ipv4(x, y).udp(1, 53).payload("q").build(),
                          PacketBuilder().eth(b, a).ipv4(x, y).tcp(1, 6080).build(),
                          PacketBuilder().eth(b, a, 0x0806).raw(Bytes(28, 0)).build()}) {
    RunResult r = run(in);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.out, in);
  }
}

TEST_F(DecapTest, WhatTheDirectorTunnelsTheRealServerReceivesBare) {
  XdpHarness director;
  ASSERT_TRUE(director.ok());
  keel_config cfg{};
  cfg.gue_port = htons(KEEL_GUE_PORT_DEFAULT);
  Addr s4 = addr("198.18.0.254"), s6 = addr("2001:db8:ff::fe");
  std::memcpy(cfg.tun_src_v4, s4.bytes.data(), 4);
  std::memcpy(cfg.tun_src_v6, s6.bytes.data(), 16);
  director.setConfig(cfg);
  const Addr client = addr("203.0.113.7"), vip = addr("198.51.100.10");
  director.addService(vip, 80, KEEL_PROTO_TCP, 0);
  director.fillRing(0, {1});
  for (keel_forwarding fwd : {KEEL_FWD_TUN_IPIP, KEEL_FWD_TUN_GUE}) {
    for (const char* real : {"192.0.2.1", "2001:db8:2::1"}) {
      keel_real r = makeReal(addr(real), fwd);
      director.setReal(1, r);
      Bytes sent =
          PacketBuilder().eth(b, a).ip(client, vip).tcp(40000, 80, kAck).payload("abc").build();
      RunResult tunnelled = director.run(sent);
      ASSERT_EQ(tunnelled.verdict, XDP_TX);
      RunResult got = run(tunnelled.out);
      EXPECT_EQ(got.verdict, XDP_PASS);
      EXPECT_EQ(got.out, withMacs(sent, realMac(r), ourMac(r))) << fwd << " " << real;
    }
  }
}

TEST_F(DecapTest, TunnelWithNothingInsideIsDropped) {
  Bytes empty = PacketBuilder().eth(b, a).ipv4(d4, r4, 4).build();
  RunResult r = run(empty);
  EXPECT_EQ(r.verdict, XDP_DROP);
  EXPECT_EQ(counter(KEEL_DECAP_MALFORMED), 1U);
}

// Anyone can send an IPIP or GUE packet; only a director's, to an address of this host, is
// opened. The rest reaches the kernel exactly as sent (which has no tunnel to give it to).
TEST_F(DecapTest, ForgedTunnelPacketsPassUntouched) {
  const Addr mallory4 = addr("203.0.113.66"), mallory6 = addr("2001:db8:bad::1");
  const Addr elsewhere4 = addr("192.0.2.77"), elsewhere6 = addr("2001:db8:2::77");
  const Bytes in4 =
      PacketBuilder().ip(addr("203.0.113.7"), addr("198.51.100.10")).tcp(1, 80).build();
  const Bytes in6 =
      PacketBuilder().ip(addr("2001:db8:c::7"), addr("2001:db8:100::10")).tcp(1, 80).build();
  struct Case {
    Addr src, dst;
    const Bytes* inner;
    bool gue;
    keel_decap_counter why;
  };
  const std::vector<Case> cases = {
      {mallory4, r4, &in4, false, KEEL_DECAP_NOT_DIRECTOR},
      {mallory4, r4, &in6, true, KEEL_DECAP_NOT_DIRECTOR},
      {mallory6, r6, &in4, false, KEEL_DECAP_NOT_DIRECTOR},
      {mallory6, r6, &in6, true, KEEL_DECAP_NOT_DIRECTOR},
      {d4, elsewhere4, &in4, false, KEEL_DECAP_NOT_LOCAL},
      {d6, elsewhere6, &in6, true, KEEL_DECAP_NOT_LOCAL},
      {r4, r4, &in4, false, KEEL_DECAP_NOT_DIRECTOR},  // a local source is no director either
  };
  std::uint64_t not_director = 0, not_local = 0;
  for (const Case& c : cases) {
    const Bytes in = tunnel(c.src, c.dst, *c.inner, c.gue);
    RunResult r = run(in);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.out, in) << hex(in);
    ++(c.why == KEEL_DECAP_NOT_DIRECTOR ? not_director : not_local);
  }
  EXPECT_EQ(counter(KEEL_DECAP_NOT_DIRECTOR), not_director);
  EXPECT_EQ(counter(KEEL_DECAP_NOT_LOCAL), not_local);
  EXPECT_EQ(counter(KEEL_DECAP_DONE), 0U);
}

// From a director, but the lengths disagree or the inner header is not what the outer one says:
// dropped and counted, never passed on as a packet of the wrong size.
TEST_F(DecapTest, TunnelsWhoseLengthsLieAreDropped) {
  const Bytes in4 = PacketBuilder()
                        .ip(addr("203.0.113.7"), addr("198.51.100.10"))
                        .tcp(1, 80)
                        .payload("abc")
                        .build();
  const Bytes in6 =
      PacketBuilder().ip(addr("2001:db8:c::7"), addr("2001:db8:100::10")).tcp(1, 80).build();
  std::vector<Bytes> bad;
  Bytes longer = in4;  // the inner total says 10 bytes more than the outer one carries
  longer[3] = static_cast<std::uint8_t>(longer[3] + 10);
  bad.push_back(tunnel(d4, r4, longer));
  Bytes shorter = in6;  // the inner IPv6 payload length says 8 bytes less
  shorter[5] = static_cast<std::uint8_t>(shorter[5] - 8);
  bad.push_back(tunnel(d6, r6, shorter));
  Bytes version = tunnel(d4, r4, in4);  // IPIP (4) announcing an IPv6 packet inside
  version[14 + 9] = 41;
  bad.push_back(version);
  Bytes gue = tunnel(d4, r4, in6, true);  // the UDP length runs past the datagram
  gue[14 + 20 + 4] = 0x7f;
  bad.push_back(gue);
  Bytes truncated = tunnel(d6, r6, in4);  // the inner IPv4 header cut short
  truncated.resize(14 + 40 + 12);
  truncated[14 + 4] = 0;
  truncated[14 + 5] = 12;  // outer payload length: the 12 bytes left
  bad.push_back(truncated);
  for (const Bytes& in : bad) EXPECT_EQ(run(in).verdict, XDP_DROP) << hex(in);
  EXPECT_EQ(counter(KEEL_DECAP_MALFORMED), bad.size());
  EXPECT_EQ(counter(KEEL_DECAP_DONE), 0U);
  // A lying outer total is the kernel's to judge: untouched.
  Bytes outer = tunnel(d4, r4, in4);
  outer[14 + 2] = 0x40;
  RunResult r = run(outer);
  EXPECT_EQ(r.verdict, XDP_PASS);
  EXPECT_EQ(r.out, outer);
}

}  // namespace
}  // namespace keel::bpftest
