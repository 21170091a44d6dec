#include "check/names.h"

#include <gtest/gtest.h>

namespace keel::check {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

TEST(NamesTest, KeepalivedServiceFormats) {
  model::VirtualServer vs;
  vs.key = model::VsAddress{ip("10.0.0.1"), 80};
  model::RealServer rs;
  rs.address = ip("10.0.0.2");
  rs.port = 8080;
  EXPECT_EQ(virtualServerText(vs), "[10.0.0.1]:tcp:80");
  EXPECT_EQ(realServerText(vs, rs), "[10.0.0.2]:tcp:8080");
  vs.protocol = base::IpProtocol::Udp;
  rs.address = ip("2001:db8::2");
  EXPECT_EQ(realServerText(vs, rs), "[2001:db8::2]:udp:8080");
  vs.key = model::VsFwmark{7};
  EXPECT_EQ(virtualServerText(vs), "FWM 7");
  vs.key = model::VsGroup{"web"};
  EXPECT_EQ(virtualServerText(vs), "[web]");
}

TEST(NamesTest, CheckerKinds) {
  model::Checker c;
  c.kind = model::TcpCheck{};
  EXPECT_EQ(checkerKindName(c), "TCP_CHECK");
  c.kind = model::HttpCheck{};
  EXPECT_EQ(checkerKindName(c), "HTTP_GET");
  c.kind = model::HttpCheck{.tls = true};
  EXPECT_EQ(checkerKindName(c), "SSL_GET");
  c.kind = model::MiscCheck{};
  EXPECT_EQ(checkerKindName(c), "MISC_CHECK");
  c.kind = model::FileCheck{};
  EXPECT_EQ(checkerKindName(c), "FILE_CHECK");
}

}  // namespace
}  // namespace keel::check
