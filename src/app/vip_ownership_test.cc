#include "app/vip_ownership.h"

#include <gtest/gtest.h>

namespace keel::app {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

model::VrrpInstance instance(const char* name, std::vector<const char*> vips,
                             std::vector<const char*> excluded = {}) {
  model::VrrpInstance vi;
  vi.name = name;
  for (const char* v : vips) vi.virtual_ipaddress.push_back({*base::Prefix::parse(v)});
  for (const char* v : excluded) vi.virtual_ipaddress_excluded.push_back({*base::Prefix::parse(v)});
  return vi;
}

TEST(VipOwnershipTest, AVipIsStandbyUntilOneOfItsInstancesIsMaster) {
  model::Config c;
  c.vrrp_instances = {instance("VI_1", {"198.18.0.100/32", "198.18.0.101/32"}, {"2001:db8::1"}),
                      instance("VI_2", {"198.18.0.101/32", "198.18.0.102/24"})};
  EXPECT_EQ(standbyAddresses(c, {}),
            (std::set<base::IpAddress>{ip("198.18.0.100"), ip("198.18.0.101"), ip("198.18.0.102"),
                                       ip("2001:db8::1")}));
  EXPECT_EQ(standbyAddresses(c, {"VI_1"}), (std::set<base::IpAddress>{ip("198.18.0.102")}));
  // 198.18.0.101 is in both: VI_2 as MASTER is enough.
  EXPECT_EQ(standbyAddresses(c, {"VI_2"}),
            (std::set<base::IpAddress>{ip("198.18.0.100"), ip("2001:db8::1")}));
  EXPECT_TRUE(standbyAddresses(c, {"VI_1", "VI_2"}).empty());
  EXPECT_TRUE(standbyAddresses(model::Config{}, {}).empty());  // no VRRP: nothing held back
}

}  // namespace
}  // namespace keel::app
