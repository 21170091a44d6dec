#include "dataplane/ipvs/plan.h"

#include <netinet/in.h>

#include <gtest/gtest.h>

namespace keel::dataplane::ipvs {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

IpvsServiceKey key(const char* vip, std::uint16_t port) {
  return {AF_INET, IPPROTO_TCP, ip(vip), port, 0};
}

IpvsDestConfig dest(const char* addr, std::uint32_t weight = 1, std::uint32_t fwd = kFwdRoute) {
  IpvsDestConfig d;
  d.address = ip(addr);
  d.port = 80;
  d.forwarding = fwd;
  d.weight = weight;
  return d;
}

IpvsService held(const IpvsServiceKey& k, const std::string& sched,
                 std::vector<IpvsDestConfig> dests) {
  IpvsService s;
  s.key = k;
  s.config = {sched, 0, 0, 0xffffffff, ""};
  for (auto& d : dests) s.dests.push_back({d, 3, 1, 0, {}});
  return s;
}

DesiredService want(const IpvsServiceKey& k, const std::string& sched,
                    std::vector<IpvsDestConfig> dests) {
  return {k, {sched, 0, 0, 0xffffffff, ""}, std::move(dests)};
}

std::vector<std::string> lines(const Plan& p) {
  std::vector<std::string> out;
  for (const Op& op : p.ops) out.push_back(describe(op));
  return out;
}

TEST(IpvsPlan, AnEmptyKernelGetsEveryServiceAndDest) {
  const auto p = plan(
      {}, {want(key("198.18.0.100", 80), "rr", {dest("198.18.0.11"), dest("198.18.0.12")})}, {});
  EXPECT_EQ(lines(p),
            (std::vector<std::string>{"add service TCP 198.18.0.100:80 rr",
                                      "add dest TCP 198.18.0.100:80 -> 198.18.0.11:80 Route w1",
                                      "add dest TCP 198.18.0.100:80 -> 198.18.0.12:80 Route w1"}));
}

TEST(IpvsPlan, TheSameTableGivesNoOperation) {
  const auto k = key("198.18.0.100", 80);
  const auto p = plan({held(k, "rr", {dest("198.18.0.11"), dest("198.18.0.12")})},
                      {want(k, "rr", {dest("198.18.0.12"), dest("198.18.0.11")})}, {k});
  EXPECT_TRUE(p.ops.empty());
  EXPECT_TRUE(p.foreign.empty());
}

TEST(IpvsPlan, OneChangedRealIsOneOperationAndTheServiceStays) {
  const auto k = key("198.18.0.100", 80);
  const auto p = plan({held(k, "rr", {dest("198.18.0.11"), dest("198.18.0.12")})},
                      {want(k, "rr", {dest("198.18.0.11", 0), dest("198.18.0.13")})}, {k});
  EXPECT_EQ(lines(p),
            (std::vector<std::string>{"delete dest TCP 198.18.0.100:80 -> 198.18.0.12:80",
                                      "set dest TCP 198.18.0.100:80 -> 198.18.0.11:80 Route w0",
                                      "add dest TCP 198.18.0.100:80 -> 198.18.0.13:80 Route w1"}));
}

TEST(IpvsPlan, ASchedulerChangeEditsTheServiceInPlace) {
  const auto k = key("198.18.0.100", 80);
  const auto p =
      plan({held(k, "rr", {dest("198.18.0.11")})}, {want(k, "wlc", {dest("198.18.0.11")})}, {k});
  EXPECT_EQ(lines(p), (std::vector<std::string>{"set service TCP 198.18.0.100:80 wlc"}));
}

TEST(IpvsPlan, OnlyKeelsServicesAreRemovedOthersAreReported) {
  const auto mine = key("198.18.0.100", 80);
  const auto theirs = key("198.18.0.200", 80);
  const auto p =
      plan({held(mine, "rr", {dest("198.18.0.11")}), held(theirs, "rr", {})}, {}, {mine});
  EXPECT_EQ(lines(p), (std::vector<std::string>{"delete service TCP 198.18.0.100:80"}));
  EXPECT_EQ(p.foreign, std::vector<IpvsServiceKey>{theirs});
}

TEST(IpvsPlan, AServiceTheTableNamesIsAdoptedAndReconciled) {
  // Left by an earlier keeld run (or made by hand) with the key the configuration uses.
  const auto k = key("198.18.0.100", 80);
  const auto p =
      plan({held(k, "wlc", {dest("198.18.0.99")})}, {want(k, "rr", {dest("198.18.0.11")})}, {});
  EXPECT_EQ(lines(p),
            (std::vector<std::string>{"set service TCP 198.18.0.100:80 rr",
                                      "delete dest TCP 198.18.0.100:80 -> 198.18.0.99:80",
                                      "add dest TCP 198.18.0.100:80 -> 198.18.0.11:80 Route w1"}));
  EXPECT_TRUE(p.foreign.empty());
}

TEST(IpvsPlan, TunnelFieldsMatterOnlyForTunnelDestinations) {
  const auto k = key("198.18.0.100", 80);
  IpvsService h = held(k, "rr", {dest("198.18.0.11")});
  h.dests[0].config.tun_type = TunnelType::Gue;  // stale fields the kernel keeps for DR
  EXPECT_TRUE(plan({h}, {want(k, "rr", {dest("198.18.0.11")})}, {k}).ops.empty());
  IpvsDestConfig tun = dest("198.18.0.11", 1, kFwdTunnel);
  IpvsService ht = held(k, "rr", {tun});
  tun.tun_type = TunnelType::Gre;
  EXPECT_EQ(lines(plan({ht}, {want(k, "rr", {tun})}, {k})),
            (std::vector<std::string>{"set dest TCP 198.18.0.100:80 -> 198.18.0.11:80 Tunnel w1"}));
}

TEST(IpvsPlan, DescribesFwmarkAndIpv6Services) {
  EXPECT_EQ(describe(IpvsServiceKey{AF_INET, 0, {}, 0, 7}), "FWM 7 IPv4");
  EXPECT_EQ(describe(IpvsServiceKey{AF_INET6, IPPROTO_UDP, ip("2001:db8::1"), 53, 0}),
            "UDP [2001:db8::1]:53");
}

}  // namespace
}  // namespace keel::dataplane::ipvs
