// Tests for IPVS persistence templates: template keys (granularity, port-0, FTP and fwmark
// services) and template lifetimes at concrete times.
#include "lb/persistence.h"

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

Service service(const char* vip, std::uint16_t port, std::uint8_t prefix = 0) {
  Service s;
  s.key = ServiceKey{ip(vip), port, Protocol::Tcp, 0};
  s.persistence_timeout = seconds(300);
  s.persistence_prefix = prefix;
  return s;
}

const RealKey kRealA{base::IpAddress::v4(0x0a000001), 80};
const RealKey kRealB{base::IpAddress::v4(0x0a000002), 80};

TEST(TemplateKeyTest, ZeroPrefixKeepsTheWholeAddress) {
  auto s = service("198.18.0.100", 80);
  auto k = templateKey(s, ip("10.1.2.3"));
  EXPECT_EQ(k.client, ip("10.1.2.3"));
  EXPECT_EQ(k.service, s.key);
  EXPECT_NE(k, templateKey(s, ip("10.1.2.4")));
  auto s6 = service("2001:db8::100", 80);
  EXPECT_EQ(templateKey(s6, ip("2001:db8:1:2::7")).client, ip("2001:db8:1:2::7"));
}

TEST(TemplateKeyTest, Slash24GroupsTwoClients) {
  auto s = service("198.18.0.100", 80, 24);
  auto a = templateKey(s, ip("10.1.2.3"));
  auto b = templateKey(s, ip("10.1.2.200"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.client, ip("10.1.2.0"));
  EXPECT_NE(a, templateKey(s, ip("10.1.3.3")));
  // A prefix that does not fall on a byte boundary.
  auto s20 = service("198.18.0.100", 80, 20);
  EXPECT_EQ(templateKey(s20, ip("10.1.31.3")).client, ip("10.1.16.0"));
}

TEST(TemplateKeyTest, V6Slash64) {
  auto s = service("2001:db8::100", 443, 64);
  auto a = templateKey(s, ip("2001:db8:1:2:aaaa::1"));
  auto b = templateKey(s, ip("2001:db8:1:2:bbbb:1:2:3"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.client, ip("2001:db8:1:2::"));
  EXPECT_NE(a, templateKey(s, ip("2001:db8:1:3::1")));
}

TEST(TemplateKeyTest, PrefixLongerThanTheFamilyKeepsTheWholeAddress) {
  auto s = service("198.18.0.100", 80, 64);  // a v6 granularity on a v4 client
  EXPECT_EQ(templateKey(s, ip("10.1.2.3")).client, ip("10.1.2.3"));
}

TEST(TemplateKeyTest, PortZeroAndFtpServicesHavePortZero) {
  auto any = service("198.18.0.100", 0);
  EXPECT_EQ(templateKey(any, ip("10.1.2.3")).service.port, 0);
  auto ftp = service("198.18.0.100", 21);
  auto k = templateKey(ftp, ip("10.1.2.3"));
  EXPECT_EQ(k.service.port, 0);
  EXPECT_EQ(k.service.address, ip("198.18.0.100"));
  // The FTP service shares its templates with the port-0 service of the same address.
  EXPECT_EQ(k, templateKey(any, ip("10.1.2.3")));
  EXPECT_EQ(templateKey(service("198.18.0.100", 80), ip("10.1.2.3")).service.port, 80);
}

TEST(TemplateKeyTest, FwmarkServiceKeyedByItsKey) {
  Service s;
  s.key = ServiceKey{base::IpAddress{}, 0, Protocol::Tcp, 7};
  s.persistence_prefix = 16;
  auto k = templateKey(s, ip("10.1.2.3"));
  EXPECT_EQ(k.service, s.key);
  EXPECT_EQ(k.client, ip("10.1.0.0"));
}

class PersistenceTableTest : public ::testing::Test {
 protected:
  TemplateKey key_ = templateKey(service("198.18.0.100", 80), ip("10.1.2.3"));
  PersistenceTable table_;
};

TEST_F(PersistenceTableTest, KeepsClientOnServerWithinTimeout) {
  EXPECT_EQ(table_.lookup(key_, seconds(0)), std::nullopt);
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionEnded(key_, seconds(10));  // lives until 310 s
  EXPECT_EQ(table_.lookup(key_, seconds(100)), kRealA);
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(100));
  table_.connectionEnded(key_, seconds(200));  // lives until 500 s
  EXPECT_EQ(table_.find(key_)->expires, seconds(500));
  EXPECT_EQ(table_.lookup(key_, seconds(499)), kRealA);
  EXPECT_EQ(table_.lookup(key_, seconds(500)), std::nullopt);
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(PersistenceTableTest, ExpiresTimeoutAfterItsLastConnection) {
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionEnded(key_, seconds(0));
  EXPECT_EQ(table_.lookup(key_, seconds(300) - microseconds(1)), kRealA);
  EXPECT_EQ(table_.expire(seconds(299)), 0u);
  EXPECT_EQ(table_.expire(seconds(300)), 1u);
  EXPECT_EQ(table_.lookup(key_, seconds(300)), std::nullopt);
  // A new connection after that creates a new template, possibly elsewhere.
  table_.connectionStarted(key_, kRealB, seconds(300), seconds(301));
  EXPECT_EQ(table_.lookup(key_, seconds(301)), kRealB);
  EXPECT_EQ(table_.find(key_)->controlled, 1u);
}

TEST_F(PersistenceTableTest, NeverExpiresWhileAConnectionItControlsIsAlive) {
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(5));
  EXPECT_EQ(table_.find(key_)->controlled, 2u);
  EXPECT_EQ(table_.expire(seconds(10000)), 0u);
  EXPECT_EQ(table_.lookup(key_, seconds(10000)), kRealA);
  table_.connectionEnded(key_, seconds(10000));
  EXPECT_EQ(table_.lookup(key_, seconds(20000)), kRealA);  // one connection is left
  table_.connectionEnded(key_, seconds(20000));
  EXPECT_EQ(table_.find(key_)->controlled, 0u);
  EXPECT_EQ(table_.find(key_)->expires, seconds(20300));
  EXPECT_EQ(table_.lookup(key_, seconds(20299)), kRealA);
  EXPECT_EQ(table_.lookup(key_, seconds(20300)), std::nullopt);
}

TEST_F(PersistenceTableTest, UnknownOrExtraEndsAreHarmless) {
  table_.connectionEnded(key_, seconds(1));
  EXPECT_EQ(table_.size(), 0u);
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionEnded(key_, seconds(1));
  table_.connectionEnded(key_, seconds(2));
  EXPECT_EQ(table_.find(key_)->controlled, 0u);
  EXPECT_EQ(table_.find(key_)->expires, seconds(302));
}

TEST_F(PersistenceTableTest, RepointingKeepsTheCount) {
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionStarted(key_, kRealB, seconds(60), seconds(10));
  const auto* e = table_.find(key_);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->real, kRealB);
  EXPECT_EQ(e->controlled, 2u);
  EXPECT_EQ(e->timeout, seconds(60));
}

TEST_F(PersistenceTableTest, DropRealRemovesOnlyItsTemplates) {
  auto s = service("198.18.0.100", 80);
  auto other = templateKey(s, ip("10.9.9.9"));
  table_.connectionStarted(key_, kRealA, seconds(300), seconds(0));
  table_.connectionStarted(other, kRealB, seconds(300), seconds(0));
  auto elsewhere = templateKey(service("198.18.0.101", 80), ip("10.1.2.3"));
  table_.connectionStarted(elsewhere, kRealA, seconds(300), seconds(0));
  EXPECT_EQ(table_.dropReal(s.key, kRealA), 1u);
  EXPECT_EQ(table_.find(key_), nullptr);
  EXPECT_NE(table_.find(other), nullptr);
  EXPECT_NE(table_.find(elsewhere), nullptr);
}

TEST_F(PersistenceTableTest, DropRealOfAnFtpServiceFindsItsPortZeroTemplates) {
  auto ftp = service("198.18.0.100", 21);
  auto k = templateKey(ftp, ip("10.1.2.3"));
  table_.connectionStarted(k, kRealA, seconds(300), seconds(0));
  EXPECT_EQ(table_.dropReal(ftp.key, kRealA), 1u);
  EXPECT_EQ(table_.size(), 0u);
}

}  // namespace
}  // namespace keel::lb
