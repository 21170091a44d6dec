#include "net/fake_net.h"

#include <gtest/gtest.h>

namespace keel::net {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

std::vector<NetEvent> drain(Netlink& nl) {
  std::vector<NetEvent> out;
  EXPECT_TRUE(nl.readEvents([&](const NetEvent& e) { out.push_back(e); }));
  return out;
}

TEST(FakeNetTest, HostChangesReachEveryNetlinkAsEvents) {
  FakeNet net;
  auto nl = net.openNetlink();
  ASSERT_TRUE(nl);
  const int eth0 = net.addLink("eth0");
  net.addHostAddress("eth0", "198.18.0.1/24");
  net.setLink("eth0", true, false);
  auto events = drain(**nl);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, NetEvent::Kind::LinkChanged);
  EXPECT_EQ(events[1].kind, NetEvent::Kind::AddressAdded);
  EXPECT_EQ(events[1].address.index, eth0);
  EXPECT_FALSE(events[2].link.running);
  net.removeLink("eth0");
  events = drain(**nl);
  ASSERT_EQ(events.size(), 2u);  // the address goes first, then the link
  EXPECT_EQ(events[0].kind, NetEvent::Kind::AddressRemoved);
  EXPECT_EQ(events[1].kind, NetEvent::Kind::LinkRemoved);
  EXPECT_EQ((*nl)->link("eth0").error().code, base::ErrorCode::NotFound);
}

TEST(FakeNetTest, AddressRequestsAreIdempotentAndEchoed) {
  FakeNet net;
  auto nl = net.openNetlink();
  const int eth0 = net.addLink("eth0");
  drain(**nl);
  bool existed = true;
  const auto vip = *base::Prefix::parse("198.18.0.100/24");
  ASSERT_TRUE((*nl)->addAddress(eth0, vip, {}, &existed));
  EXPECT_FALSE(existed);
  ASSERT_TRUE((*nl)->addAddress(eth0, vip, {}, &existed));
  EXPECT_TRUE(existed);
  EXPECT_TRUE(net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(drain(**nl).size(), 1u);
  EXPECT_FALSE((*nl)->addAddress(eth0 + 1, vip));
  bool absent = false;
  ASSERT_TRUE((*nl)->deleteAddress(eth0, vip, &absent));
  EXPECT_FALSE(absent);
  ASSERT_TRUE((*nl)->deleteAddress(eth0, vip, &absent));
  EXPECT_TRUE(absent);
}

TEST(FakeNetTest, DatagramsReachSocketsOfTheirLinkAndJoinedGroupsOnly) {
  FakeNet net;
  const int eth0 = net.addLink("eth0");
  net.addLink("eth1");
  auto s = net.openIp({112, "eth0", eth0, ip("198.18.0.1"), -1});
  ASSERT_TRUE(s);
  const auto group = ip("224.0.0.18");
  RawPacket p;
  p.destination = group;
  net.deliver("eth0", p);
  EXPECT_FALSE(*(*s)->receive());  // not joined yet
  ASSERT_TRUE((*s)->join(group));
  net.deliver("eth1", p);
  net.deliver("eth0", p);
  auto got = (*s)->receive();
  ASSERT_TRUE(got && *got);
  EXPECT_FALSE(*(*s)->receive());
  ASSERT_TRUE((*s)->send(std::vector<std::uint8_t>{1, 2}, group));
  ASSERT_EQ(net.sent().size(), 1u);
  EXPECT_EQ(net.sent()[0].source, ip("198.18.0.1"));
  net.removeLink("eth0");
  EXPECT_FALSE((*s)->send(std::vector<std::uint8_t>{1}, group));  // a dead ifindex
  net.failIpOpens(1);
  EXPECT_FALSE(net.openIp({112, "eth1", net.index("eth1"), ip("198.18.0.1"), -1}));
  EXPECT_TRUE(net.openIp({112, "eth1", net.index("eth1"), ip("198.18.0.1"), -1}));
}

}  // namespace
}  // namespace keel::net
