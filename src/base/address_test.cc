#include "base/address.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

struct BadCase {
  std::string input;
  std::string message;
};

std::string v4Msg(const std::string& s) {
  return "invalid IPv4 address \"" + s +
         "\": expected four decimal numbers 0-255 separated by dots, without leading zeros";
}

std::string v6Msg(const std::string& s) {
  return "invalid IPv6 address \"" + s +
         "\": expected eight groups of up to four hex digits, with at most one \"::\"";
}

std::string portMsg(const std::string& s) {
  return "invalid port \"" + s + "\": expected a decimal number 0-65535";
}

const char kEndpointTail[] =
    "\": expected address:port, for example 192.0.2.1:80 or [2001:db8::1]:80";

template <class T>
void expectParseError(const Result<T>& r, const std::string& message) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Parse);
  EXPECT_EQ(r.error().message, message);
}

TEST(IpAddressTest, RejectsMalformedText) {
  const std::vector<BadCase> cases = {
      {"256.1.1.1", v4Msg("256.1.1.1")},
      {"1.2.3", v4Msg("1.2.3")},
      {"1.2.3.4.5", v4Msg("1.2.3.4.5")},
      {"010.0.0.1", v4Msg("010.0.0.1")},
      {"1.2.3.00", v4Msg("1.2.3.00")},
      {"1.2.3.", v4Msg("1.2.3.")},
      {".1.2.3", v4Msg(".1.2.3")},
      {"1..2.3", v4Msg("1..2.3")},
      {"+1.2.3.4", v4Msg("+1.2.3.4")},
      {" 1.2.3.4", v4Msg(" 1.2.3.4")},
      {"1.2.3.4 ", v4Msg("1.2.3.4 ")},
      {"0x1.2.3.4", v4Msg("0x1.2.3.4")},
      {"1234.1.1.1", v4Msg("1234.1.1.1")},
      {"1.2.3.-4", v4Msg("1.2.3.-4")},
      {"1:2:3", v6Msg("1:2:3")},
      {"1::2::3", v6Msg("1::2::3")},
      {"12345::", v6Msg("12345::")},
      {"::g", v6Msg("::g")},
      {" ::1", v6Msg(" ::1")},
      {"::ffff:01.2.3.4", v6Msg("::ffff:01.2.3.4")},
      {"fe80::1%eth0",
       "invalid IPv6 address \"fe80::1%eth0\": zone ids such as \"%eth0\" are not supported"},
      {"",
       "invalid IP address \"\": expected an IPv4 address (a.b.c.d) or an IPv6 address (for "
       "example 2001:db8::1)"},
      {"localhost",
       "invalid IP address \"localhost\": expected an IPv4 address (a.b.c.d) or an "
       "IPv6 address (for example 2001:db8::1)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    expectParseError(IpAddress::parse(c.input), c.message);
  }
}

TEST(IpAddressTest, FamilySpecificParsersUseTheirOwnMessage) {
  expectParseError(IpAddress::parseV4(""), v4Msg(""));
  expectParseError(IpAddress::parseV4("::1"), v4Msg("::1"));
  expectParseError(IpAddress::parseV6(""), v6Msg(""));
  expectParseError(IpAddress::parseV6("1.2.3.4"), v6Msg("1.2.3.4"));
}

TEST(IpAddressTest, RejectsEmbeddedNul) {
  std::string text("::1\0", 4);
  EXPECT_FALSE(IpAddress::parse(text));
  std::string text4("1.2.3.4\0", 8);
  EXPECT_FALSE(IpAddress::parse(text4));
}

TEST(IpAddressTest, StrRoundTrips) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"10.0.0.1", "10.0.0.1"},
      {"192.168.100.200", "192.168.100.200"},
      {"2001:0db8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:DB8::A", "2001:db8::a"},
      {"::", "::"},
      {"::1", "::1"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"fe80:0000::0001", "fe80::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    auto a = IpAddress::parse(in);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->str(), want);
    auto again = IpAddress::parse(a->str());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *a);
  }
}

TEST(IpAddressTest, ConstructorsAndAccessors) {
  IpAddress zero;
  EXPECT_TRUE(zero.isV4());
  EXPECT_EQ(zero.str(), "0.0.0.0");
  EXPECT_TRUE(zero.isUnspecified());
  EXPECT_EQ(zero.family(), AF_INET);

  IpAddress a = IpAddress::v4(0x0a000102);
  EXPECT_EQ(a.str(), "10.0.1.2");
  EXPECT_EQ(a.v4HostOrder(), 0x0a000102u);
  EXPECT_EQ(a, IpAddress::fromV4Bytes({10, 0, 1, 2}));
  ASSERT_EQ(a.bytes().size(), 4u);
  EXPECT_EQ(a.bytes()[0], 10);
  EXPECT_EQ(a.bytes()[3], 2);

  std::array<uint8_t, 16> b{};
  b[0] = 0x20;
  b[1] = 0x01;
  b[15] = 1;
  IpAddress v6 = IpAddress::fromV6Bytes(b);
  EXPECT_TRUE(v6.isV6());
  EXPECT_EQ(v6.family(), AF_INET6);
  EXPECT_EQ(v6.str(), "2001::1");
  ASSERT_EQ(v6.bytes().size(), 16u);
  EXPECT_EQ(v6.bytes()[15], 1);
  EXPECT_TRUE(IpAddress::parse("::")->isUnspecified());
  EXPECT_FALSE(v6.isUnspecified());
}

TEST(IpAddressTest, Classification) {
  struct Case {
    std::string text;
    bool link_local;
    bool multicast;
  };
  const std::vector<Case> cases = {
      {"169.254.1.1", true, false},     {"169.255.1.1", false, false}, {"224.0.0.18", false, true},
      {"239.255.255.255", false, true}, {"240.0.0.1", false, false},   {"fe80::1", true, false},
      {"febf::1", true, false},         {"fec0::1", false, false},     {"ff02::12", false, true},
      {"2001:db8::1", false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->isLinkLocal(), c.link_local);
    EXPECT_EQ(a->isMulticast(), c.multicast);
    EXPECT_FALSE(a->isUnspecified());
  }
}

TEST(IpAddressTest, OrderingPutsV4First) {
  auto v4hi = *IpAddress::parse("255.255.255.255");
  auto v4lo = *IpAddress::parse("1.2.3.4");
  auto v6lo = *IpAddress::parse("::");
  auto v6hi = *IpAddress::parse("ff02::1");
  EXPECT_LT(v4lo, v4hi);
  EXPECT_LT(v4hi, v6lo);
  EXPECT_LT(v6lo, v6hi);
  EXPECT_NE(*IpAddress::parse("0.0.0.0"), v6lo);
  EXPECT_NE(*IpAddress::parse("1.2.3.4"), *IpAddress::parse("::ffff:1.2.3.4"));
}

TEST(IpAddressTest, HashWorksInUnorderedSet) {
  std::unordered_set<IpAddress> set;
  for (const char* s : {"1.2.3.4", "1.2.3.4", "::1", "0.0.0.0", "::", "::0"}) {
    set.insert(*IpAddress::parse(s));
  }
  EXPECT_EQ(set.size(), 4u);
  EXPECT_TRUE(set.contains(*IpAddress::parse("0:0::1")));
  EXPECT_NE(std::hash<IpAddress>{}(IpAddress()), std::hash<IpAddress>{}(*IpAddress::parse("::")));
}

TEST(PrefixTest, RejectsMalformedText) {
  const std::vector<BadCase> cases = {
      {"10.0.0.0/33", "invalid prefix length \"33\" in \"10.0.0.0/33\": expected 0-32 for IPv4"},
      {"::/129", "invalid prefix length \"129\" in \"::/129\": expected 0-128 for IPv6"},
      {"10.0.0.0/", "invalid prefix length \"\" in \"10.0.0.0/\": expected 0-32 for IPv4"},
      {"10.0.0.0/+8", "invalid prefix length \"+8\" in \"10.0.0.0/+8\": expected 0-32 for IPv4"},
      {"10.0.0.0/08", "invalid prefix length \"08\" in \"10.0.0.0/08\": expected 0-32 for IPv4"},
      {"10.0.0.0/8x", "invalid prefix length \"8x\" in \"10.0.0.0/8x\": expected 0-32 for IPv4"},
      {"10.0.0.0/-1", "invalid prefix length \"-1\" in \"10.0.0.0/-1\": expected 0-32 for IPv4"},
      {"10.0.0.0/8/8", "invalid prefix length \"8/8\" in \"10.0.0.0/8/8\": expected 0-32 for IPv4"},
      {"10.0.0.0/99999999999",
       "invalid prefix length \"99999999999\" in \"10.0.0.0/99999999999\": expected 0-32 for IPv4"},
      {"2001:db8::/ 64",
       "invalid prefix length \" 64\" in \"2001:db8::/ 64\": expected 0-128 for IPv6"},
      {"10.0.0.256/24", v4Msg("10.0.0.256")},
      {"1::2::3/64", v6Msg("1::2::3")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    expectParseError(Prefix::parse(c.input), c.message);
  }
}

TEST(PrefixTest, ParsesAndPrints) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"10.0.0.1/24", "10.0.0.1/24"},      {"10.0.0.1", "10.0.0.1/32"}, {"0.0.0.0/0", "0.0.0.0/0"},
      {"2001:0db8::/32", "2001:db8::/32"}, {"::1", "::1/128"},          {"::/0", "::/0"},
      {"fe80::1/128", "fe80::1/128"},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    auto p = Prefix::parse(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->str(), want);
  }
  auto p = *Prefix::parse("10.0.0.1/24");
  EXPECT_EQ(p.address().str(), "10.0.0.1");
  EXPECT_EQ(p.length(), 24);
  EXPECT_EQ(Prefix().str(), "0.0.0.0/0");
}

TEST(PrefixTest, MakeChecksLength) {
  auto a = *IpAddress::parse("10.0.0.0");
  ASSERT_TRUE(Prefix::make(a, 32));
  auto bad = Prefix::make(a, 33);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(bad.error().message, "invalid prefix length 33 for 10.0.0.0: expected 0-32 for IPv4");
  EXPECT_FALSE(Prefix::make(a, -1));
  EXPECT_TRUE(Prefix::make(*IpAddress::parse("::"), 128));
}

TEST(PrefixTest, ContainsAndNetwork) {
  struct Case {
    std::string prefix;
    std::string address;
    bool contained;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1/24", "10.0.0.255", true},
      {"10.0.0.1/24", "10.0.1.0", false},
      {"10.0.0.0/8", "10.255.1.2", true},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},
      {"10.0.0.1", "10.0.0.1", true},
      {"10.0.0.1", "10.0.0.2", false},
      {"192.168.0.0/23", "192.168.1.7", true},
      {"192.168.0.0/23", "192.168.2.7", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"fe80::/10", "febf::1", true},
      {"fe80::/10", "fec0::1", false},
      {"::/0", "10.0.0.1", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.prefix + " " + c.address);
    EXPECT_EQ(Prefix::parse(c.prefix)->contains(*IpAddress::parse(c.address)), c.contained);
  }
  EXPECT_EQ(Prefix::parse("10.1.2.3/8")->network().str(), "10.0.0.0/8");
  EXPECT_EQ(Prefix::parse("192.168.1.255/23")->network().str(), "192.168.0.0/23");
  EXPECT_EQ(Prefix::parse("10.1.2.3/0")->network().str(), "0.0.0.0/0");
  EXPECT_EQ(Prefix::parse("10.1.2.3")->network().str(), "10.1.2.3/32");
  EXPECT_EQ(Prefix::parse("2001:db8:1:2::5/33")->network().str(), "2001:db8::/33");
  EXPECT_EQ(Prefix::parse("fe80::1234/10")->network().str(), "fe80::/10");
}

TEST(PrefixTest, OrderingAndHash) {
  auto a = *Prefix::parse("10.0.0.0/8");
  auto b = *Prefix::parse("10.0.0.0/16");
  auto c = *Prefix::parse("::/0");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a, *Prefix::parse("10.0.0.0/8"));
  EXPECT_NE(a, *Prefix::parse("10.0.0.1/8"));
  std::unordered_set<Prefix> set{a, b, c, a};
  EXPECT_EQ(set.size(), 3u);
}

TEST(PortTest, RejectsMalformedText) {
  for (const std::string s :
       {"", "+80", "-1", "80x", " 80", "80 ", "0x50", "65536", "99999999999999999999", "8 0"}) {
    SCOPED_TRACE(s);
    expectParseError(parsePort(s), portMsg(s));
  }
}

TEST(PortTest, AcceptsDecimal) {
  const std::vector<std::pair<std::string, uint16_t>> cases = {
      {"0", 0}, {"1", 1}, {"80", 80}, {"080", 80}, {"65535", 65535}};
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    auto p = parsePort(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(*p, want);
  }
}

TEST(EndpointTest, RejectsMalformedText) {
  const std::vector<BadCase> cases = {
      {"2001:db8::1:80",
       "invalid endpoint \"2001:db8::1:80\": an IPv6 endpoint must be written [address]:port, for "
       "example [2001:db8::1]:80"},
      {"1.2.3.4", std::string("invalid endpoint \"1.2.3.4") + kEndpointTail},
      {"", std::string("invalid endpoint \"") + kEndpointTail},
      {"[2001:db8::1]", std::string("invalid endpoint \"[2001:db8::1]") + kEndpointTail},
      {"[2001:db8::1]80", std::string("invalid endpoint \"[2001:db8::1]80") + kEndpointTail},
      {"[2001:db8::1:80", std::string("invalid endpoint \"[2001:db8::1:80") + kEndpointTail},
      {"1.2.3.4:", portMsg("")},
      {"1.2.3.4:65536", portMsg("65536")},
      {"1.2.3.4: 80", portMsg(" 80")},
      {"[::1]:", portMsg("")},
      {"[::1]:-1", portMsg("-1")},
      {"256.1.1.1:80", v4Msg("256.1.1.1")},
      {"[1.2.3.4]:80", v6Msg("1.2.3.4")},
      {"[::g]:80", v6Msg("::g")},
      {"[fe80::1%eth0]:80",
       "invalid IPv6 address \"fe80::1%eth0\": zone ids such as \"%eth0\" are not supported"},
      {":80",
       "invalid IP address \"\": expected an IPv4 address (a.b.c.d) or an IPv6 address "
       "(for example 2001:db8::1)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    expectParseError(Endpoint::parse(c.input), c.message);
  }
}

TEST(EndpointTest, ParsesAndPrints) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.2.3.4:80", "1.2.3.4:80"},
      {"0.0.0.0:0", "0.0.0.0:0"},
      {"255.255.255.255:65535", "255.255.255.255:65535"},
      {"[2001:0db8::1]:80", "[2001:db8::1]:80"},
      {"[::]:443", "[::]:443"},
      {"[::ffff:1.2.3.4]:8080", "[::ffff:1.2.3.4]:8080"},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    auto e = Endpoint::parse(in);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->str(), want);
    EXPECT_EQ(*Endpoint::parse(e->str()), *e);
  }
  auto e = *Endpoint::parse("[2001:db8::1]:80");
  EXPECT_EQ(e.address(), *IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(e.port(), 80);
  EXPECT_EQ(Endpoint().str(), "0.0.0.0:0");
}

TEST(EndpointTest, OrderingAndHash) {
  auto a = *Endpoint::parse("1.2.3.4:80");
  auto b = *Endpoint::parse("1.2.3.4:81");
  auto c = *Endpoint::parse("1.2.3.5:1");
  auto d = *Endpoint::parse("[::]:1");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  std::unordered_set<Endpoint> set{a, b, c, d, *Endpoint::parse("1.2.3.4:80")};
  EXPECT_EQ(set.size(), 4u);
}

TEST(EndpointTest, SockaddrRoundTrip) {
  for (const char* text : {"1.2.3.4:80", "0.0.0.0:0", "[2001:db8::1]:65535", "[::1]:443"}) {
    SCOPED_TRACE(text);
    auto e = *Endpoint::parse(text);
    sockaddr_storage ss;
    socklen_t len = e.toSockaddr(ss);
    EXPECT_EQ(ss.ss_family, e.address().family());
    EXPECT_EQ(len, e.address().isV4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    auto back = Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, e);
  }
  auto e = *Endpoint::parse("10.0.0.1:8080");
  sockaddr_storage ss;
  ASSERT_EQ(e.toSockaddr(ss), sizeof(sockaddr_in));
  sockaddr_in sin;
  std::memcpy(&sin, &ss, sizeof(sin));
  EXPECT_EQ(ntohs(sin.sin_port), 8080);
  EXPECT_EQ(ntohl(sin.sin_addr.s_addr), 0x0a000001u);
}

TEST(EndpointTest, FromSockaddrRejectsOtherFamiliesAndShortLengths) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  auto r = Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&un), sizeof(un));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
  EXPECT_EQ(r.error().message,
            "unsupported socket address family 1: expected AF_INET (2) or "
            "AF_INET6 (10)");

  sockaddr_storage ss;
  (void)Endpoint::parse("1.2.3.4:80")->toSockaddr(ss);
  auto* sa = reinterpret_cast<const sockaddr*>(&ss);
  auto short4 = Endpoint::fromSockaddr(sa, sizeof(sockaddr_in) - 1);
  ASSERT_FALSE(short4);
  EXPECT_EQ(short4.error().message, "socket address too short: 15 bytes for AF_INET, need 16");

  (void)Endpoint::parse("[::1]:80")->toSockaddr(ss);
  auto short6 = Endpoint::fromSockaddr(sa, sizeof(sockaddr_in));
  ASSERT_FALSE(short6);
  EXPECT_EQ(short6.error().message, "socket address too short: 16 bytes for AF_INET6, need 28");

  auto tiny = Endpoint::fromSockaddr(sa, 1);
  ASSERT_FALSE(tiny);
  EXPECT_EQ(tiny.error().message, "socket address too short: 1 bytes");
  auto null = Endpoint::fromSockaddr(nullptr, 16);
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error().message, "no socket address (null)");
}

}  // namespace
}  // namespace keel::base

namespace keel::base {
namespace {

TEST(IpProtocolTest, NamesAsIpvsadmPrintsThem) {
  EXPECT_EQ(ipProtocolName(IpProtocol::Tcp), "TCP");
  EXPECT_EQ(ipProtocolName(IpProtocol::Udp), "UDP");
  EXPECT_EQ(ipProtocolName(IpProtocol::Sctp), "SCTP");
}

}  // namespace
}  // namespace keel::base
