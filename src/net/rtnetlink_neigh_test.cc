#include <linux/neighbour.h>
#include <poll.h>
#include <sys/socket.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/netns_test_util.h"
#include "net/rtnetlink.h"

namespace keel::net {
namespace {

// k0 (10.9.0.1/24, 2001:db8:9::1/64) here; its peer k1 (10.9.0.2, 2001:db8:9::2) in `peer`.
void makeVethPair(const PeerNamespace& peer) {
  peer.wire("k0", "k1", {"10.9.0.1/24", "2001:db8:9::1/64"}, {"10.9.0.2/24", "2001:db8:9::2/64"});
}

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

TEST(RtnetlinkNeighTest, RoutesOnLinkViaGatewayLocalAndUnreachable) {
  KEEL_REQUIRE_OWN_NETNS();
  PeerNamespace peer("neigh");
  ASSERT_NO_FATAL_FAILURE(makeVethPair(peer));
  ASSERT_EQ(std::system("ip route add 10.8.0.0/16 via 10.9.0.254 dev k0"), 0);
  auto nl = Rtnetlink::open(false);
  ASSERT_TRUE(nl);
  const int k0 = nl->link("k0")->index;

  auto on_link = nl->route(ip("10.9.0.77"));
  ASSERT_TRUE(on_link) << on_link.error().str();
  EXPECT_EQ(on_link->index, k0);
  EXPECT_FALSE(on_link->gateway);
  EXPECT_FALSE(on_link->local);
  EXPECT_EQ(on_link->nextHop(ip("10.9.0.77")), ip("10.9.0.77"));

  auto via = nl->route(ip("10.8.1.1"));
  ASSERT_TRUE(via) << via.error().str();
  EXPECT_EQ(via->index, k0);
  ASSERT_TRUE(via->gateway);
  EXPECT_EQ(*via->gateway, ip("10.9.0.254"));
  EXPECT_EQ(via->nextHop(ip("10.8.1.1")), ip("10.9.0.254"));

  auto local = nl->route(ip("10.9.0.1"));
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->local);

  auto v6 = nl->route(ip("2001:db8:9::77"));
  ASSERT_TRUE(v6) << v6.error().str();
  EXPECT_EQ(v6->index, k0);

  auto none = nl->route(ip("203.0.113.1"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, base::ErrorCode::NotFound);
}

// Waits for a usable neighbour entry of `addr` on `index` and its event: up to 30 waits of
// 100 ms on the event socket (ARP answers within a millisecond on a veth; 3 s covers a loaded
// machine).
bool waitForNeighbour(Rtnetlink& nl, int index, const base::IpAddress& addr, Neighbour* found,
                      bool* saw_event) {
  for (int i = 0; i < 30; ++i) {
    pollfd pfd{nl.eventFd(), POLLIN, 0};
    (void)::poll(&pfd, 1, 100);
    EXPECT_TRUE(nl.readEvents([&](const NetEvent& e) {
      if (e.kind == NetEvent::Kind::NeighbourChanged && e.neighbour.index == index &&
          e.neighbour.address == addr && e.neighbour.usable()) {
        *saw_event = true;
      }
    }));
    auto all = nl.neighbours(addr.family());
    EXPECT_TRUE(all);
    for (const Neighbour& n : *all) {
      if (n.index == index && n.address == addr && n.usable()) {
        *found = n;
        if (*saw_event) return true;
      }
    }
  }
  return false;
}

TEST(RtnetlinkNeighTest, ResolvesWithoutTrafficAndReportsTheMac) {
  KEEL_REQUIRE_OWN_NETNS();
  PeerNamespace peer("neigh");
  ASSERT_NO_FATAL_FAILURE(makeVethPair(peer));
  auto nl = Rtnetlink::open(true, true);
  ASSERT_TRUE(nl);
  const int k0 = nl->link("k0")->index;
  auto peer_nl_mac = [&] {
    const std::string cmd = "ip -n " + peer.name() + " -br link show k1 | awk '{print $3}'";
    FILE* f = ::popen(cmd.c_str(), "r");
    char text[64] = {};
    if (f != nullptr && std::fgets(text, sizeof text, f) == nullptr) text[0] = 0;
    if (f != nullptr) ::pclose(f);
    std::vector<std::uint8_t> mac;
    unsigned b[6];
    if (std::sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
      for (unsigned x : b) mac.push_back(static_cast<std::uint8_t>(x));
    }
    return mac;
  };
  const auto k1_mac = peer_nl_mac();
  ASSERT_EQ(k1_mac.size(), 6u);
  for (const char* text : {"10.9.0.2", "2001:db8:9::2"}) {
    const base::IpAddress addr = ip(text);
    ASSERT_TRUE(nl->resolveNeighbour(k0, addr)) << text;
    Neighbour n;
    bool saw_event = false;
    ASSERT_TRUE(waitForNeighbour(*nl, k0, addr, &n, &saw_event)) << text;
    EXPECT_EQ(n.mac, k1_mac) << text;
    EXPECT_TRUE(saw_event) << text;
    // Asking again for a resolved entry is harmless.
    EXPECT_TRUE(nl->resolveNeighbour(k0, addr)) << text;
  }
}

TEST(RtnetlinkNeighTest, ReportsAMacChangeAndRemoval) {
  KEEL_REQUIRE_OWN_NETNS();
  PeerNamespace peer("neigh");
  ASSERT_NO_FATAL_FAILURE(makeVethPair(peer));
  auto nl = Rtnetlink::open(true, true);
  ASSERT_TRUE(nl);
  const int k0 = nl->link("k0")->index;
  ASSERT_EQ(std::system("ip neigh replace 10.9.0.50 lladdr 02:00:00:00:00:01 dev k0 nud permanent"),
            0);
  ASSERT_EQ(std::system("ip neigh replace 10.9.0.50 lladdr 02:00:00:00:00:02 dev k0 nud permanent"),
            0);
  ASSERT_EQ(std::system("ip neigh del 10.9.0.50 dev k0"), 0);
  std::vector<std::string> seen;
  ASSERT_TRUE(nl->readEvents([&](const NetEvent& e) {
    if (e.neighbour.address != ip("10.9.0.50") || e.neighbour.index != k0) return;
    const bool removed = e.kind == NetEvent::Kind::NeighbourRemoved;
    if (removed) {
      seen.push_back("removed");
    } else if (e.neighbour.mac.size() == 6) {
      seen.push_back(std::to_string(e.neighbour.mac.back()));
    }
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "removed"}));
  Neighbour unresolved{k0, ip("10.9.0.51"), {}, NUD_INCOMPLETE};
  EXPECT_FALSE(unresolved.usable());
  Neighbour failed{k0, ip("10.9.0.51"), {2, 0, 0, 0, 0, 1}, NUD_FAILED};
  EXPECT_FALSE(failed.usable());
}

}  // namespace
}  // namespace keel::net
