#include "lb/service_table.h"

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

ServiceKey svc(const char* ip, std::uint16_t port) {
  return {*base::IpAddress::parse(ip), port, Protocol::Tcp, 0};
}

Real real(const char* ip, int weight = 1) {
  return {{*base::IpAddress::parse(ip), 80}, weight, Forwarding::Dr, 0, 0, false};
}

Service service(const char* ip, std::vector<Real> reals) {
  Service s;
  s.key = svc(ip, 80);
  s.scheduler = "rr";
  s.reals = std::move(reals);
  return s;
}

const std::vector<Service> kBase{
    service("198.18.0.101", {real("198.18.1.1")}),
    service("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")}),
    service("198.18.0.100", {real("198.18.1.9")}),  // a duplicate key: the first stays
};

TEST(ServiceTableTest, OfSortsByKeyAndKeepsTheFirstOfADuplicate) {
  const ServiceTable t = ServiceTable::of(kBase);
  ASSERT_EQ(t.services.size(), 2u);
  EXPECT_EQ(t.services[0]->key, svc("198.18.0.100", 80));
  EXPECT_EQ(t.services[0]->reals.size(), 2u);
  EXPECT_EQ(t.services[1]->key, svc("198.18.0.101", 80));
}

TEST(ServiceTableTest, EqualityComparesValuesAndSharedServicesByPointer) {
  const ServiceTable before = ServiceTable::of(kBase);
  EXPECT_TRUE(before == ServiceTable::of(kBase));  // equal values, separate objects
  ServiceTable after = before;
  EXPECT_TRUE(before == after);  // the same objects
  Service changed = *after.services[1];
  changed.reals[0].weight = 9;
  after.services[1] = std::make_shared<const Service>(changed);
  EXPECT_FALSE(before == after);
  EXPECT_EQ(after.services[0], before.services[0]);
}

TEST(ServiceTableTest, KeysPrintAsIpvsadmNamesThem) {
  EXPECT_EQ(svc("198.18.0.100", 80).str(), "TCP 198.18.0.100:80");
  ServiceKey v6{*base::IpAddress::parse("2001:db8::1"), 53, Protocol::Udp, 0};
  EXPECT_EQ(v6.str(), "UDP [2001:db8::1]:53");
  ServiceKey fw{base::IpAddress::v4(0), 0, Protocol::Tcp, 7};
  EXPECT_EQ(fw.str(), "FWM 7 IPv4");
  EXPECT_EQ(real("198.18.1.2").key.str(), "198.18.1.2:80");
  EXPECT_EQ(forwardingName(Forwarding::Dr), "Route");
  const ServiceTable t = ServiceTable::of(kBase);
  EXPECT_NE(t.find(svc("198.18.0.101", 80)), nullptr);
  EXPECT_EQ(t.find(svc("198.18.0.102", 80)), nullptr);
  EXPECT_NE(t.services[0]->find(real("198.18.1.2").key), nullptr);
  EXPECT_EQ(t.services[0]->find(real("198.18.1.3").key), nullptr);
}

}  // namespace
}  // namespace keel::lb
