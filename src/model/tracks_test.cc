#include "model/tracks.h"

#include <gtest/gtest.h>

namespace keel::model {
namespace {

TrackRef weighted(std::string name, int weight, bool reverse = false) {
  return TrackRef{std::move(name), true, weight, reverse, reverse};
}

TrackRef plain(std::string name) { return TrackRef{std::move(name), false, 0, false, false}; }

// Two instances in group G, a vrrp_script with weight 10, a track_file with the default weight 1
// and one of weight 5, a bfd_instance with weight 4.
Config twoMembers() {
  Config c;
  VrrpScript s;
  s.name = "chk";
  s.weight = 10;
  c.vrrp_scripts.push_back(s);
  TrackFile f1;
  f1.name = "f1";
  TrackFile f5;
  f5.name = "f5";
  f5.weight = 5;
  c.track_files = {f1, f5};
  BfdInstance b;
  b.name = "b";
  b.weight = 4;
  c.bfd_instances.push_back(b);
  VrrpInstance v1;
  v1.name = "VI_1";
  v1.track_interface = {weighted("eth1", 7), plain("eth2")};
  v1.track_script = {plain("chk")};
  v1.track_file = {plain("f1"), plain("f5")};
  v1.track_bfd = {plain("b")};
  VrrpInstance v2;
  v2.name = "VI_2";
  c.vrrp_instances = {v1, v2};
  SyncGroup g;
  g.name = "G";
  g.members = {"VI_1", "VI_2"};
  c.sync_groups.push_back(g);
  return c;
}

TEST(EffectiveTracksTest, OutsideASyncGroupTheInstanceKeepsItsTrackersWithResolvedWeights) {
  Config c = twoMembers();
  c.sync_groups.clear();
  const EffectiveTracks t = effectiveTracks(c, c.vrrp_instances[0]);
  ASSERT_EQ(t.interfaces.size(), 2u);
  EXPECT_EQ(t.interfaces[0].weight, 7);
  ASSERT_EQ(t.scripts.size(), 1u);
  EXPECT_EQ(t.scripts[0].weight, 10);  // the vrrp_script's own weight
  ASSERT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.files[1].weight, 5);
  ASSERT_EQ(t.bfds.size(), 1u);
  EXPECT_EQ(t.bfds[0].weight, 4);
  EXPECT_TRUE(t.ignored.empty());
}

// keepalived 2.2.7 (`keepalived -t` says "(VI_1) ignoring tracked script chk with weights due to
// SYNC group"): a member's own weighted trackers do not count.
TEST(EffectiveTracksTest, ASyncGroupMemberLosesItsWeightedTrackers) {
  const Config c = twoMembers();
  const EffectiveTracks t = effectiveTracks(c, c.vrrp_instances[0]);
  ASSERT_EQ(t.interfaces.size(), 2u);
  EXPECT_EQ(t.interfaces[0].weight, 0);  // FAULT while down instead of -7
  EXPECT_TRUE(t.scripts.empty());
  ASSERT_EQ(t.files.size(), 1u);  // weight 1 becomes 0, weight 5 is left out
  EXPECT_EQ(t.files[0].name, "f1");
  EXPECT_EQ(t.files[0].weight, 0);
  EXPECT_TRUE(t.bfds.empty());
  EXPECT_EQ(t.ignored, (std::vector<std::string>{
                           "(VI_1) ignoring weight of tracked interface eth1 due to SYNC group",
                           "(VI_1) ignoring tracked script chk with weights due to SYNC group",
                           "(VI_1) ignoring weight from tracked file f1 due to SYNC group - "
                           "specify weight 0",
                           "(VI_1) ignoring tracked file f5 with weight 5 due to SYNC group",
                           "(VI_1) ignoring tracked bfd b with weight 4 due to SYNC group"}));
}

TEST(EffectiveTracksTest, SyncGroupTrackingWeightKeepsTheMembersWeights) {
  Config c = twoMembers();
  c.sync_groups[0].tracking_weight = true;
  const EffectiveTracks t = effectiveTracks(c, c.vrrp_instances[0]);
  EXPECT_EQ(t.interfaces[0].weight, 7);
  ASSERT_EQ(t.scripts.size(), 1u);
  EXPECT_EQ(t.files.size(), 2u);
  EXPECT_TRUE(t.ignored.empty());
}

TEST(EffectiveTracksTest, TheGroupsTrackersActOnEveryMemberWithTheirWeights) {
  Config c = twoMembers();
  c.sync_groups[0].track_script = {weighted("chk", -20, true)};
  c.sync_groups[0].track_interface = {plain("eth3")};
  for (const VrrpInstance& vi : c.vrrp_instances) {
    const EffectiveTracks t = effectiveTracks(c, vi);
    ASSERT_EQ(t.scripts.size(), 1u) << vi.name;
    EXPECT_EQ(t.scripts[0].weight, -20);
    EXPECT_TRUE(t.scripts[0].reverse);
    EXPECT_EQ(t.interfaces.back().name, "eth3");
    EXPECT_EQ(t.interfaces.back().weight, 0);
  }
  // VI_1 names chk itself too: it counts once, as the group's, and keepalived says so.
  const EffectiveTracks t1 = effectiveTracks(c, c.vrrp_instances[0]);
  EXPECT_EQ(t1.ignored[1],
            "(VI_1) track_script chk is configured on VRRP instance and sync group. Remove vrrp "
            "instance or sync group config");
}

TEST(EffectiveTracksTest, AnAddressOwnerInTheGroupClearsTheGroupsWeights) {
  Config c = twoMembers();
  c.vrrp_instances[1].priority = 255;
  c.sync_groups[0].track_script = {weighted("chk", 20)};
  const EffectiveTracks t = effectiveTracks(c, c.vrrp_instances[1]);
  ASSERT_EQ(t.scripts.size(), 1u);
  EXPECT_EQ(t.scripts[0].weight, 0);  // FAULT while failing, never a priority change
}

TEST(EffectiveTracksTest, UnknownNamesAreLeftOut) {
  Config c = twoMembers();
  c.sync_groups.clear();
  c.vrrp_instances[0].track_script.push_back(plain("nosuch"));
  c.vrrp_instances[0].track_bfd.push_back(plain("nosuch"));
  const EffectiveTracks t = effectiveTracks(c, c.vrrp_instances[0]);
  EXPECT_EQ(t.scripts.size(), 1u);
  EXPECT_EQ(t.bfds.size(), 1u);
}

}  // namespace
}  // namespace keel::model
