#include "net/raw_socket.h"

#include <net/if.h>

#include "net/netns_test_util.h"
#include "net/rtnetlink.h"

namespace keel::net {
namespace {

constexpr int kVrrp = 112;

// Loopback must be up for packets to flow in the fresh namespace.
void loopbackUp() {
  auto nl = Rtnetlink::open(false);
  ASSERT_TRUE(nl);
  ASSERT_TRUE(nl->setLinkUp(static_cast<int>(::if_nametoindex("lo")), true));
}

std::optional<RawPacket> receiveOne(RawSocket& s) {
  for (int i = 0; i < 100; ++i) {  // the datagram is queued synchronously on loopback
    auto got = s.receive();
    if (!got) return std::nullopt;
    if (*got) return **got;
  }
  return std::nullopt;
}

TEST(RawSocketTest, Ipv4SendsWithTtl255AndTos0xc0) {
  KEEL_REQUIRE_OWN_NETNS();
  loopbackUp();
  const auto lo = *base::IpAddress::parse("127.0.0.1");
  auto s = RawSocket::open({kVrrp, "lo", static_cast<int>(::if_nametoindex("lo")), lo, -1});
  ASSERT_TRUE(s) << s.error().str();
  const std::vector<std::uint8_t> payload = {0x21, 7, 100, 0};
  ASSERT_TRUE(s->send(payload, lo));
  auto got = receiveOne(*s);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->bytes.size(), 20u + payload.size());
  EXPECT_EQ(got->bytes[1], 0xc0);  // TOS
  EXPECT_EQ(got->bytes[8], 255);   // TTL
  EXPECT_EQ(got->bytes[9], kVrrp);
  EXPECT_EQ(std::vector<std::uint8_t>(got->bytes.begin() + 20, got->bytes.end()), payload);
  EXPECT_EQ(got->source, lo);
  auto none = s->receive();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(RawSocketTest, Ipv6ReportsHopLimitAndDestination) {
  KEEL_REQUIRE_OWN_NETNS();
  loopbackUp();
  const auto lo = *base::IpAddress::parse("::1");
  auto s = RawSocket::open({kVrrp, "lo", static_cast<int>(::if_nametoindex("lo")), lo, 6});
  ASSERT_TRUE(s) << s.error().str();
  const std::vector<std::uint8_t> payload = {0x31, 7, 100, 0, 0, 100, 0, 0};
  ASSERT_TRUE(s->send(payload, lo));
  auto got = receiveOne(*s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes.size(), payload.size());
  EXPECT_EQ(got->ttl, 255);
  EXPECT_EQ(got->destination, lo);
  EXPECT_EQ(got->source, lo);
  EXPECT_NE(got->bytes[6] | got->bytes[7], 0);  // the kernel filled the checksum at offset 6
}

}  // namespace
}  // namespace keel::net
