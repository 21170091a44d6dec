#include "dataplane/proxy/client_limits.h"

#include <gtest/gtest.h>

namespace keel::dataplane::proxy {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

TEST(ClientLimitsTest, OneIpv6SlashSixtyFourIsOneClient) {
  ClientLimits limits(2, 2, 32, 64);
  EXPECT_EQ(limits.clientOf(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
  EXPECT_EQ(limits.clientOf(ip("198.18.0.7")), ip("198.18.0.7"));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("2001:db8:1:2::1")));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("2001:db8:1:2::2")));
  EXPECT_FALSE(limits.acquire(lb::Protocol::Tcp, ip("2001:db8:1:2:ffff::3")));  // same /64
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("2001:db8:1:3::1")));        // another /64
  limits.release(lb::Protocol::Tcp, ip("2001:db8:1:2::1"));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("2001:db8:1:2::9")));
}

TEST(ClientLimitsTest, TcpAndUdpHaveTheirOwnBudgets) {
  ClientLimits limits(1, 2, 32, 64);
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.7")));
  EXPECT_FALSE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.7")));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Udp, ip("198.18.0.7")));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Udp, ip("198.18.0.7")));
  EXPECT_FALSE(limits.acquire(lb::Protocol::Udp, ip("198.18.0.7")));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Udp, ip("198.18.0.8")));  // /32: another client
}

TEST(ClientLimitsTest, AWiderIpv4PrefixGroupsASubnet) {
  ClientLimits limits(1, 1, 24, 48);
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.7")));
  EXPECT_FALSE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.200")));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("198.18.1.7")));
  EXPECT_EQ(limits.clientOf(ip("2001:db8:1:2::1")), ip("2001:db8:1::"));
  ClientLimits clamped(1, 1, 99, 999);  // out of range: the full address
  EXPECT_EQ(clamped.clientOf(ip("2001:db8::1")), ip("2001:db8::1"));
}

TEST(ClientLimitsTest, ReleasingAnUnknownClientIsHarmless) {
  ClientLimits limits(1, 1, 32, 64);
  limits.release(lb::Protocol::Tcp, ip("198.18.0.7"));
  EXPECT_TRUE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.7")));
  EXPECT_FALSE(limits.acquire(lb::Protocol::Tcp, ip("198.18.0.7")));
}

}  // namespace
}  // namespace keel::dataplane::proxy
