#include "dataplane/reconcile.h"

#include <gtest/gtest.h>

namespace keel::dataplane {
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

using Services = std::vector<Service>;

std::vector<std::string> ops(const Services& a, const Services& b) {
  std::vector<std::string> out;
  for (const Operation& op : reconcile(ServiceTable::of(a), ServiceTable::of(b))) {
    out.push_back(describe(op));
  }
  return out;
}

const Services kBase{
    service("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")}),
    service("198.18.0.101", {real("198.18.1.1")}),
};

TEST(ReconcileTest, IdenticalTablesNeedNothing) {
  EXPECT_TRUE(ops(kBase, kBase).empty());  // equal values, separate objects
  const ServiceTable shared = ServiceTable::of(kBase);
  EXPECT_TRUE(reconcile(shared, shared).empty());
}

TEST(ReconcileTest, ReplacingOneSharedServiceGivesOnlyItsChange) {
  const ServiceTable before = ServiceTable::of(kBase);
  ServiceTable after = before;
  Service changed = *after.services[1];
  changed.reals[0].weight = 9;
  after.services[1] = std::make_shared<const Service>(changed);
  EXPECT_EQ(reconcile(before, after).size(), 1u);
  EXPECT_FALSE(before == after);
  EXPECT_TRUE(before == ServiceTable::of(kBase));
}

TEST(ReconcileTest, FromEmptyAddsWholeServices) {
  EXPECT_EQ(ops({}, kBase), (std::vector<std::string>{
                                "add service TCP 198.18.0.100:80 rr (2 reals)",
                                "add service TCP 198.18.0.101:80 rr (1 reals)",
                            }));
  EXPECT_EQ(ops(kBase, {}), (std::vector<std::string>{
                                "remove service TCP 198.18.0.100:80",
                                "remove service TCP 198.18.0.101:80",
                            }));
}

TEST(ReconcileTest, OneRealChangeTouchesOnlyThatReal) {
  Services next = kBase;
  next[0].reals[1].weight = 5;
  EXPECT_EQ(ops(kBase, next), (std::vector<std::string>{
                                  "update real TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w5",
                              }));
  next = kBase;
  next[0].reals.erase(next[0].reals.begin());
  EXPECT_EQ(ops(kBase, next), (std::vector<std::string>{
                                  "remove real TCP 198.18.0.100:80 -> 198.18.1.1:80",
                              }));
  next = kBase;
  next[1].reals.push_back(real("198.18.1.3", 2));
  EXPECT_EQ(ops(kBase, next), (std::vector<std::string>{
                                  "add real TCP 198.18.0.101:80 -> 198.18.1.3:80 Route w2",
                              }));
}

TEST(ReconcileTest, RemovalsComeFirstThenUpdatesThenAdditions) {
  Services next{
      service("198.18.0.99", {real("198.18.1.9")}),
      service("198.18.0.100", {real("198.18.1.0"), real("198.18.1.2", 3)}),
  };
  next[1].scheduler = "wrr";
  EXPECT_EQ(ops(kBase, next), (std::vector<std::string>{
                                  "remove service TCP 198.18.0.101:80",
                                  "add service TCP 198.18.0.99:80 rr (1 reals)",
                                  "update service TCP 198.18.0.100:80 wrr",
                                  "remove real TCP 198.18.0.100:80 -> 198.18.1.1:80",
                                  "update real TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w3",
                                  "add real TCP 198.18.0.100:80 -> 198.18.1.0:80 Route w1",
                              }));
}

TEST(ReconcileTest, PersistenceChangeIsAServiceUpdateWithoutReals) {
  Services next = kBase;
  next[1].persistence_timeout = std::chrono::seconds(50);
  auto got = reconcile(ServiceTable::of(kBase), ServiceTable::of(next));
  ASSERT_EQ(got.size(), 1u);
  const auto* update = std::get_if<UpdateService>(&got[0]);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->service.persistence_timeout, std::chrono::seconds(50));
  EXPECT_TRUE(update->service.reals.empty());
}

TEST(ServiceTableTest, KeysPrintAsIpvsadmNamesThem) {
  EXPECT_EQ(svc("198.18.0.100", 80).str(), "TCP 198.18.0.100:80");
  ServiceKey v6{*base::IpAddress::parse("2001:db8::1"), 53, Protocol::Udp, 0};
  EXPECT_EQ(v6.str(), "UDP [2001:db8::1]:53");
  ServiceKey fw{base::IpAddress::v4(0), 0, Protocol::Tcp, 7};
  EXPECT_EQ(fw.str(), "FWM 7 IPv4");
  const ServiceTable t = ServiceTable::of(kBase);
  EXPECT_NE(t.find(svc("198.18.0.101", 80)), nullptr);
  EXPECT_EQ(t.find(svc("198.18.0.102", 80)), nullptr);
  EXPECT_NE(t.services[0]->find(real("198.18.1.2").key), nullptr);
}

}  // namespace
}  // namespace keel::dataplane
