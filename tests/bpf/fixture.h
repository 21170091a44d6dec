// The shared fixture of the keel_xdp tests: a loaded program with a director config, addresses
// and packet shorthands. Test code only.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "packet.h"
#include "xdp_harness.h"

namespace keel::bpftest {

inline const Mac kClientMac{0x02, 0xcc, 0, 0, 0, 0x07};
inline const Mac kDirectorMac{0x02, 0xd1, 0, 0, 0, 0x01};

class XdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string why = bpfUnavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    pinToCpu(0);
    h = std::make_unique<XdpHarness>();
    ASSERT_TRUE(h->ok()) << h->error();
    keel_config cfg{};
    cfg.udp_timeout_ns = 30'000'000'000ull;
    cfg.flags = KEEL_CFG_F_NAT;
    cfg.gue_port = htons(KEEL_GUE_PORT_DEFAULT);
    auto s4 = addr("198.18.0.254"), s6 = addr("2001:db8:ff::fe");
    std::memcpy(cfg.tun_src_v4, s4.bytes.data(), 4);
    std::memcpy(cfg.tun_src_v6, s6.bytes.data(), 16);
    h->setConfig(cfg);
  }

  // A DR service on vip:80/TCP with reals 1 and 2 (ring alternating 1, 2).
  void drService(const Addr& vip, const Addr& r1, const Addr& r2) {
    h->setReal(1, makeReal(r1, KEEL_FWD_DR));
    h->setReal(2, makeReal(r2, KEEL_FWD_DR));
    h->fillRing(0, {1, 2});
    h->addService(vip, 80, KEEL_PROTO_TCP, 0);
  }

  static PacketBuilder fromClient(const Addr& client, const Addr& vip) {
    PacketBuilder b;
    b.eth(kDirectorMac, kClientMac).ip(client, vip);
    return b;
  }

  // The index of the real whose MAC a forwarded frame carries (0: none of 1..8).
  static std::uint32_t realOf(const RunResult& r) {
    if (r.out.size() < 6 || r.out[0] != 0x02 || r.out[1] != 0xee) return 0;
    return r.out[5];
  }

  std::unique_ptr<XdpHarness> h;
  const Addr client4 = addr("203.0.113.7"), vip4 = addr("198.51.100.10");
  const Addr real4a = addr("192.0.2.1"), real4b = addr("192.0.2.2");
  const Addr client6 = addr("2001:db8:c::7"), vip6 = addr("2001:db8:100::10");
  const Addr real6a = addr("2001:db8:2::1"), real6b = addr("2001:db8:2::2");
};

inline Bytes withMacs(Bytes frame, const Mac& dst, const Mac& src) {
  std::memcpy(frame.data(), dst.data(), 6);
  std::memcpy(frame.data() + 6, src.data(), 6);
  return frame;
}

}  // namespace keel::bpftest
