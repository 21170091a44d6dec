#include "vrrp/reload_plan.h"

#include <gtest/gtest.h>

namespace keel::vrrp {
namespace {

model::VirtualIp vip(const char* text) {
  return model::VirtualIp{*base::Prefix::parse(text), std::nullopt, "", "", "", false};
}

model::VrrpInstance instance(const char* name, int vrid) {
  model::VrrpInstance vi;
  vi.name = name;
  vi.interface = "eth0";
  vi.virtual_router_id = vrid;
  vi.priority = 100;
  vi.virtual_ipaddress = {vip("198.18.0.100/24"), vip("198.18.0.101/24")};
  return vi;
}

model::Config configOf(std::vector<model::VrrpInstance> instances) {
  model::Config c;
  c.vrrp_instances = std::move(instances);
  return c;
}

TEST(ReloadPlanTest, IdenticalInstancesAreKept) {
  const model::Config c = configOf({instance("A", 1), instance("B", 2)});
  const auto plans = planReload(c, c);
  ASSERT_EQ(plans.size(), 2u);
  for (const InstancePlan& p : plans) EXPECT_EQ(p.action, ReloadAction::Keep) << p.name;
}

TEST(ReloadPlanTest, PriorityAdvertIntPreemptAndTrackingUpdateInPlace) {
  const model::Config before = configOf({instance("A", 1)});
  for (auto change : std::vector<void (*)(model::VrrpInstance&)>{
           [](model::VrrpInstance& vi) { vi.priority = 150; },
           [](model::VrrpInstance& vi) { vi.advert_int = std::chrono::seconds(2); },
           [](model::VrrpInstance& vi) { vi.nopreempt = true; },
           [](model::VrrpInstance& vi) {
             vi.track_interface.push_back({"eth1", true, 10, false});
           },
       }) {
    model::Config after = before;
    change(after.vrrp_instances[0]);
    const auto plans = planReload(before, after);
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_EQ(plans[0].action, ReloadAction::Update);
    EXPECT_TRUE(plans[0].vips_added.empty());
    EXPECT_TRUE(plans[0].vips_removed.empty());
  }
}

TEST(ReloadPlanTest, VipsAreDiffedAddressByAddress) {
  const model::Config before = configOf({instance("A", 1)});
  model::Config after = before;
  after.vrrp_instances[0].virtual_ipaddress = {vip("198.18.0.101/24"), vip("198.18.0.102/24")};
  after.vrrp_instances[0].virtual_ipaddress_excluded = {vip("198.18.9.1/32")};
  const auto plans = planReload(before, after);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].action, ReloadAction::Update);
  EXPECT_EQ(plans[0].vips_added,
            (std::vector<model::VirtualIp>{vip("198.18.0.102/24"), vip("198.18.9.1/32")}));
  EXPECT_EQ(plans[0].vips_removed, std::vector<model::VirtualIp>{vip("198.18.0.100/24")});
}

TEST(ReloadPlanTest, InterfaceVridVersionOrUnicastChangeRestarts) {
  const model::Config before = configOf({instance("A", 1)});
  for (auto change : std::vector<void (*)(model::VrrpInstance&)>{
           [](model::VrrpInstance& vi) { vi.interface = "eth1"; },
           [](model::VrrpInstance& vi) { vi.virtual_router_id = 9; },
           [](model::VrrpInstance& vi) { vi.version = 3; },
           [](model::VrrpInstance& vi) { vi.unicast_src_ip = *base::IpAddress::parse("10.0.0.1"); },
           [](model::VrrpInstance& vi) { vi.virtual_ipaddress = {vip("2001:db8::1/64")}; },
       }) {
    model::Config after = before;
    change(after.vrrp_instances[0]);
    const auto plans = planReload(before, after);
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_EQ(plans[0].action, ReloadAction::Restart);
  }
}

TEST(ReloadPlanTest, NewNamesAreAddedGoneNamesRemovedByNameNotPosition) {
  const model::Config before = configOf({instance("A", 1), instance("B", 2)});
  const model::Config after = configOf({instance("C", 3), instance("A", 1)});
  const auto plans = planReload(before, after);
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[0].name, "C");
  EXPECT_EQ(plans[0].action, ReloadAction::Add);
  EXPECT_EQ(plans[1].name, "A");
  EXPECT_EQ(plans[1].action, ReloadAction::Keep);
  EXPECT_EQ(plans[2].name, "B");
  EXPECT_EQ(plans[2].action, ReloadAction::Remove);
  EXPECT_STREQ(reloadActionName(ReloadAction::Remove), "remove");
}

TEST(ReloadPlanTest, GlobalVersionOrGroupChangeRestartsTheInstancesThatUseThem) {
  model::VrrpInstance unicast = instance("U", 2);
  unicast.unicast_peer.push_back({*base::IpAddress::parse("10.0.0.9"), std::nullopt});
  model::VrrpInstance pinned = instance("P", 3);
  pinned.version = 2;
  const model::Config before = configOf({instance("A", 1), unicast, pinned});
  model::Config after = before;
  after.global.vrrp_mcast_group4 = *base::IpAddress::parse("224.0.0.99");
  auto plans = planReload(before, after);
  EXPECT_EQ(plans[0].action, ReloadAction::Restart);  // joins the group
  EXPECT_EQ(plans[1].action, ReloadAction::Keep);     // unicast: no group
  after = before;
  after.global.vrrp_version = 3;
  plans = planReload(before, after);
  EXPECT_EQ(plans[0].action, ReloadAction::Restart);  // takes the global version
  EXPECT_EQ(plans[2].action, ReloadAction::Keep);     // has its own
}

}  // namespace
}  // namespace keel::vrrp
