// EgressResolver against the kernel, in a namespace of the test's own with a veth to a peer.
#include "dataplane/xdp/egress.h"

#include <poll.h>

#include <cstdio>

#include "net/netns_test_util.h"

namespace keel::dataplane::xdp {
namespace {

lb::Real real(const char* addr, lb::Forwarding f = lb::Forwarding::Dr) {
  lb::Real r;
  r.key = {*base::IpAddress::parse(addr), 80};
  r.forwarding = f;
  return r;
}

std::array<std::uint8_t, 6> macOf(const std::vector<std::uint8_t>& v) {
  std::array<std::uint8_t, 6> a{};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

// Reads events until `resolver` reports a change: up to 30 waits of 100 ms on the event socket
// (a veth answers ARP at once; 3 s covers a loaded machine).
bool waitForChange(net::Rtnetlink& nl, EgressResolver& resolver) {
  bool changed = false;
  for (int i = 0; i < 30 && !changed; ++i) {
    pollfd pfd{nl.eventFd(), POLLIN, 0};
    (void)::poll(&pfd, 1, 100);
    EXPECT_TRUE(nl.readEvents([&](const net::NetEvent& e) { changed |= resolver.onEvent(e); }));
  }
  return changed;
}

TEST(EgressTest, ResolvesOnDemandAndFollowsMacChanges) {
  KEEL_REQUIRE_OWN_NETNS();
  net::PeerNamespace peer("egress");
  ASSERT_NO_FATAL_FAILURE(peer.wire("e0", "e1", {"10.7.0.1/24"}, {"10.7.0.2/24"}));
  ASSERT_EQ(std::system("ip route add 10.6.0.0/16 via 10.7.0.2"), 0);
  auto nl = net::Rtnetlink::open(true, true);
  ASSERT_TRUE(nl);
  const net::Link e0 = *nl->link("e0");
  EgressResolver resolver(*nl);

  std::string why;
  EXPECT_FALSE(resolver.lookup(real("10.7.0.2"), &why));
  EXPECT_NE(why.find("not resolved yet"), std::string::npos) << why;
  ASSERT_TRUE(waitForChange(*nl, resolver));
  auto egress = resolver.lookup(real("10.7.0.2"), &why);
  ASSERT_TRUE(egress) << why;
  EXPECT_EQ(egress->ifindex, e0.index);
  EXPECT_EQ(egress->src_mac, macOf(e0.mac));
  const auto first_mac = egress->dst_mac;

  // NAT and TUN reals may sit behind a gateway: the gateway's MAC; DR may not.
  auto nat = resolver.lookup(real("10.6.1.1", lb::Forwarding::Nat), &why);
  ASSERT_TRUE(nat) << why;
  EXPECT_EQ(nat->dst_mac, first_mac);
  EXPECT_FALSE(resolver.lookup(real("10.6.1.1", lb::Forwarding::Dr), &why));
  EXPECT_NE(why.find("on-link"), std::string::npos) << why;
  EXPECT_FALSE(resolver.lookup(real("10.7.0.1"), &why));
  EXPECT_NE(why.find("this host"), std::string::npos) << why;
  EXPECT_FALSE(resolver.lookup(real("203.0.113.9"), &why));

  // The real's MAC changes (a replaced server): the resolver reports it and answers anew.
  ASSERT_EQ(std::system("ip neigh replace 10.7.0.2 lladdr 02:00:00:00:00:42 dev e0"), 0);
  ASSERT_TRUE(waitForChange(*nl, resolver));
  egress = resolver.lookup(real("10.7.0.2"));
  ASSERT_TRUE(egress);
  EXPECT_EQ(egress->dst_mac, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 0x42}));
}

}  // namespace
}  // namespace keel::dataplane::xdp
