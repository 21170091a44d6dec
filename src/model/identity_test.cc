#include "model/identity.h"

#include <unordered_set>

#include <gtest/gtest.h>

#include "model/virtual_server.h"

namespace keel::model {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

VirtualServer addressServer(const char* address, std::uint16_t port, base::IpProtocol p) {
  VirtualServer vs;
  vs.key = VsAddress{ip(address), port};
  vs.protocol = p;
  return vs;
}

TEST(IdentityTest, BuiltFromEachKindOfVirtualServer) {
  const VirtualServer a = addressServer("198.18.0.100", 80, base::IpProtocol::Udp);
  EXPECT_EQ(VirtualServerId::of(a),
            VirtualServerId::ofAddress(ip("198.18.0.100"), 80, base::IpProtocol::Udp));
  VirtualServer f;
  f.key = VsFwmark{7};
  f.protocol = base::IpProtocol::Udp;  // a fwmark service is its mark alone
  EXPECT_EQ(VirtualServerId::of(f), VirtualServerId::ofFwmark(7));
  VirtualServer g;
  g.key = VsGroup{"web"};
  EXPECT_EQ(VirtualServerId::of(g), VirtualServerId::ofGroup("web"));
}

TEST(IdentityTest, EveryFieldOfTheIdentityCounts) {
  const auto base = VirtualServerId::ofAddress(ip("198.18.0.100"), 80, base::IpProtocol::Tcp);
  const std::vector<VirtualServerId> others = {
      VirtualServerId::ofAddress(ip("198.18.0.101"), 80, base::IpProtocol::Tcp),
      VirtualServerId::ofAddress(ip("198.18.0.100"), 81, base::IpProtocol::Tcp),
      VirtualServerId::ofAddress(ip("198.18.0.100"), 80, base::IpProtocol::Udp),
      VirtualServerId::ofFwmark(80), VirtualServerId::ofGroup("198.18.0.100")};
  std::unordered_set<VirtualServerId> set{base};
  for (const VirtualServerId& o : others) {
    EXPECT_NE(base, o);
    EXPECT_TRUE(base < o || o < base);
    EXPECT_TRUE(set.insert(o).second);
  }
  EXPECT_FALSE(
      set.insert(VirtualServerId::of(addressServer("198.18.0.100", 80, base::IpProtocol::Tcp)))
          .second);
  const RealServerId r{base, ip("198.18.0.1"), 80};
  std::unordered_set<RealServerId> reals{r};
  EXPECT_FALSE(reals.insert(RealServerId{base, ip("198.18.0.1"), 80}).second);
  EXPECT_TRUE(reals.insert(RealServerId{others[0], ip("198.18.0.1"), 80}).second);
  EXPECT_TRUE(reals.insert(RealServerId{base, ip("198.18.0.1"), 81}).second);
}

TEST(IdentityTest, KeelNames) {
  EXPECT_EQ(str(VirtualServerId::ofAddress(ip("198.18.0.100"), 80, base::IpProtocol::Tcp)),
            "198.18.0.100:80/TCP");
  EXPECT_EQ(str(VirtualServerId::ofAddress(ip("2001:db8::1"), 53, base::IpProtocol::Udp)),
            "[2001:db8::1]:53/UDP");
  EXPECT_EQ(str(VirtualServerId::ofFwmark(7)), "fwmark 7");
  EXPECT_EQ(str(VirtualServerId::ofGroup("web")), "group web");
  EXPECT_EQ(str(RealServerId{VirtualServerId::ofFwmark(7), ip("2001:db8::2"), 8080}),
            "fwmark 7 -> [2001:db8::2]:8080");
  EXPECT_EQ(virtualServerName(addressServer("198.18.0.100", 80, base::IpProtocol::Sctp)),
            "198.18.0.100:80/SCTP");
}

TEST(IdentityTest, KeepalivedTexts) {
  EXPECT_EQ(keepalivedText(VirtualServerId::ofAddress(ip("10.0.0.1"), 80, base::IpProtocol::Tcp)),
            "[10.0.0.1]:tcp:80");
  EXPECT_EQ(keepalivedText(ip("2001:db8::2"), 8080, base::IpProtocol::Udp),
            "[2001:db8::2]:udp:8080");
  EXPECT_EQ(keepalivedText(VirtualServerId::ofFwmark(7)), "FWM 7");
  EXPECT_EQ(keepalivedText(VirtualServerId::ofGroup("web")), "[web]");
}

}  // namespace
}  // namespace keel::model
