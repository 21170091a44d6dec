#include "dataplane/ipvs/conn_table.h"

#include <gtest/gtest.h>

namespace keel::dataplane::ipvs {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

// As Debian 12's kernel prints /proc/net/ip_vs_conn (net/netfilter/ipvs/ip_vs_conn.c).
constexpr const char* kTable =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
    "TCP C612000A 9C40 C6120064 0050 C612000B 0050 ESTABLISHED     899\n"
    "IP  C612000A 0000 00000000 0000 C612000B 0000 NONE             45\n"
    "UDP 2001:0db8:0000:0000:0000:0000:0000:000a 1234 2001:0db8:0000:0000:0000:0000:0000:0100 "
    "0035 2001:0db8:0000:0000:0000:0000:0000:0011 0035 UDP             299\n"
    "TCP C612000A 9C41 C6120064 0050 C612000C 0050 FIN_WAIT          119\n";

TEST(IpvsConnTable, ParsesConnectionsInTheKernelsOrder) {
  std::size_t skipped = 0;
  auto conns = parseConnections(kTable, 100, &skipped);
  ASSERT_EQ(conns.size(), 3u);
  EXPECT_EQ(skipped, 1u);  // the fwmark template's protocol "IP"
  const Connection& c = conns[0];
  EXPECT_EQ(c.protocol, lb::Protocol::Tcp);
  EXPECT_EQ(c.client, ip("198.18.0.10"));
  EXPECT_EQ(c.client_port, 0x9C40);
  EXPECT_EQ(c.service, (lb::ServiceKey{ip("198.18.0.100"), 80, lb::Protocol::Tcp, 0}));
  EXPECT_EQ(c.real, (lb::RealKey{ip("198.18.0.11"), 80}));
  EXPECT_EQ(c.state, "ESTABLISHED");
  EXPECT_EQ(c.expires, std::chrono::seconds(899));
  EXPECT_EQ(conns[1].client, ip("2001:db8::a"));
  EXPECT_EQ(conns[1].real, (lb::RealKey{ip("2001:db8::11"), 53}));
  EXPECT_EQ(conns[2].state, "FIN_WAIT");
}

TEST(IpvsConnTable, LimitAndGarbage) {
  EXPECT_EQ(parseConnections(kTable, 1).size(), 1u);
  std::size_t skipped = 0;
  EXPECT_TRUE(parseConnections("header\nTCP zz 1 2\n\nTCP C612000A XYZW C6120064 0050 C612000B "
                               "0050 ESTABLISHED 1\n",
                               10, &skipped)
                  .empty());
  EXPECT_EQ(skipped, 2u);
  EXPECT_TRUE(parseConnections("", 10).empty());
}

}  // namespace
}  // namespace keel::dataplane::ipvs
