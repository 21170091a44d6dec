// keel_decap: what keel_xdp's TUN forwarding sends comes out as the bare inner packet.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>

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
};

TEST_F(DecapTest, StripsIpipGueAndMixedFamilies) {
  const Addr c4 = addr("203.0.113.7"), v4 = addr("198.51.100.10");
  const Addr c6 = addr("2001:db8:c::7"), v6 = addr("2001:db8:100::10");
  const Addr d4 = addr("198.18.0.254"), r4 = addr("192.0.2.1");
  const Addr d6 = addr("2001:db8:ff::fe"), r6 = addr("2001:db8:2::1");
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
  Bytes empty = PacketBuilder().eth(b, a).ipv4(addr("198.18.0.254"), addr("192.0.2.1"), 4).build();
  RunResult r = run(empty);
  EXPECT_EQ(r.verdict, XDP_DROP);
}

}  // namespace
}  // namespace keel::bpftest
