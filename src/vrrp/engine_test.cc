// vrrp::Engine on a FakeNet host with a FakeClock: start-up (stale VIPs), reload plans carried
// out (keep, update, restart, add, remove; all or nothing; an instance on a missing interface),
// and sync groups.
#include "vrrp/engine.h"

#include <gtest/gtest.h>

#include "vrrp/engine_test_util.h"

namespace keel::vrrp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the harness
using std::chrono::milliseconds;
using std::chrono::seconds;

// -- start-up -----------------------------------------------------------------------------------

// A SIGKILLed keeld leaves its VIPs; the next one must not hold them as BACKUP.
TEST(EngineTest, StartRemovesVipsAnEarlierRunLeft) {
  Harness h;
  h.net.addHostAddress("eth0", "198.18.0.100/24");
  h.start(configOf({instance("VI_1", 100)}));
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.1"));  // not a VIP: untouched
}

TEST(EngineTest, StartWithKeepAddressesLeavesThem) {
  Harness h;
  h.net.addHostAddress("eth0", "198.18.0.100/24");
  h.start(configOf({instance("VI_1", 100)}), /*keep_addresses=*/true);
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.100"));
}

TEST(EngineTest, StatusReportsStateCountersAndFault) {
  Harness h;
  h.start(configOf({instance("VI_1", 150), instance("VI_2", 100, 52, "eth9")}));
  h.advance(downInterval(150));
  const EngineStatus s = h.engine->status();
  ASSERT_EQ(s.instances.size(), 2u);
  EXPECT_EQ(s.instances[0].state, State::Master);
  EXPECT_EQ(s.instances[0].master, "198.18.0.1");
  EXPECT_EQ(s.instances[0].counters.adverts_sent, 1u);
  EXPECT_EQ(s.instances[0].counters.transitions, 2u);
  EXPECT_EQ(s.instances[1].state, State::Fault);
  EXPECT_EQ(s.instances[1].fault, "interface eth9 not found");
  EXPECT_EQ(masterAddresses(s), (std::set<base::IpAddress>{ip("198.18.0.100")}));
  EXPECT_NE(statsText(s).find("Fault: interface eth9 not found"), std::string::npos);
  EXPECT_GT(h.changes, 0);
}

// -- reload -------------------------------------------------------------------------------------

struct Master : ::testing::Test {
  void SetUp() override {
    h.start(configOf({instance("VI_1", 150)}));
    h.advance(downInterval(150));
    ASSERT_EQ(h.state("VI_1"), State::Master);
    h.net.clearSent();
    h.transitions.clear();
  }
  Harness h;
};

TEST_F(Master, ReloadKeepingAnInstanceTouchesNothing) {
  const Instance* before = &h.instance("VI_1");
  ASSERT_TRUE(h.engine->reload(configOf({instance("VI_1", 150)})));
  h.pump();
  EXPECT_EQ(&h.instance("VI_1"), before);
  EXPECT_TRUE(h.transitions.empty());
  EXPECT_TRUE(h.net.sent().empty());
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.100"));
}

TEST_F(Master, ReloadUpdatingAnInstanceChangesItInPlace) {
  model::VrrpInstance vi = instance("VI_1", 120);
  vi.virtual_ipaddress.push_back(vip("198.18.0.101/24"));
  ASSERT_TRUE(h.engine->reload(configOf({vi})));
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_TRUE(h.transitions.empty());
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.101"));  // only the added VIP is set
  EXPECT_EQ(h.garps(), 5u);                               // and announced
  h.advance(seconds(1));
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{120}));  // no priority-0 advert
}

TEST_F(Master, ReloadChangingTheRouterIdentityRestartsTheInstance) {
  model::VrrpInstance vi = instance("VI_1", 150);
  vi.virtual_router_id = 52;
  ASSERT_TRUE(h.engine->reload(configOf({vi})));
  h.pump();
  EXPECT_EQ(h.transitions, (std::vector<std::string>{"VI_1 MASTER->INIT", "VI_1 INIT->BACKUP"}));
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{0}));
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(h.net.openIpSockets(), 1u);
}

TEST_F(Master, ReloadAddingAndRemovingInstances) {
  ASSERT_TRUE(h.engine->reload(configOf({instance("VI_2", 100, 52)})));
  h.pump();
  EXPECT_EQ(h.transitions, (std::vector<std::string>{"VI_1 MASTER->INIT", "VI_2 INIT->BACKUP"}));
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{0}));  // the removed MASTER stepped down
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  ASSERT_EQ(h.engine->instances().size(), 1u);
  EXPECT_EQ(h.engine->instances()[0]->name(), "VI_2");
}

// keeld crashed here before: an instance whose creation failed was a null pointer that a later
// reload stopped. It is now an instance in FAULT, with its reason, that later reloads handle.
TEST_F(Master, ReloadAddingAnInstanceOnAMissingInterfaceThenRemovingOrFixingIt) {
  auto with_missing = configOf({instance("VI_1", 150), instance("VI_2", 100, 52, "eth9")});
  ASSERT_TRUE(h.engine->reload(with_missing));
  h.pump();
  EXPECT_EQ(h.state("VI_2"), State::Fault);
  EXPECT_EQ(h.engine->status().instances[1].fault, "interface eth9 not found");
  EXPECT_EQ(h.state("VI_1"), State::Master);
  ASSERT_TRUE(h.engine->reload(configOf({instance("VI_1", 150)})));  // removed
  h.pump();
  EXPECT_EQ(h.engine->instances().size(), 1u);
  ASSERT_TRUE(h.engine->reload(with_missing));  // added again,
  model::VrrpInstance fixed = instance("VI_2", 100, 52, "eth0");
  ASSERT_TRUE(h.engine->reload(configOf({instance("VI_1", 150), fixed})));  // then fixed
  h.pump();
  EXPECT_EQ(h.state("VI_2"), State::Backup);
  EXPECT_TRUE(h.engine->status().instances[1].fault.empty());
  ASSERT_TRUE(h.engine->reload(with_missing));  // broken again: its interface is gone
  h.net.addLink("eth9");
  h.net.addHostAddress("eth9", "198.18.9.1/24");
  h.pump();
  EXPECT_EQ(h.state("VI_2"), State::Backup);  // and appears
  EXPECT_EQ(h.state("VI_1"), State::Master);
}

TEST_F(Master, ReloadIsAllOrNothing) {
  auto bad =
      std::make_shared<model::Config>(*configOf({instance("VI_1", 90), instance("VI_2", 100, 52)}));
  bad->sync_groups.push_back({"G", {"VI_2", "VI_3"}, {}, {}, {}, {}, false});
  EXPECT_FALSE(h.engine->reload(bad));
  h.pump();
  EXPECT_EQ(h.engine->instances().size(), 1u);                       // VI_2 was not added,
  EXPECT_EQ(h.instance("VI_1").machine().effectivePriority(), 150);  // VI_1 not updated
  EXPECT_TRUE(h.transitions.empty());
}

// -- sync groups --------------------------------------------------------------------------------

std::shared_ptr<const model::Config> grouped() {
  auto c = std::make_shared<model::Config>(
      *configOf({instance("VI_1", 150), instance("VI_2", 150, 52, "eth1")}));
  c->sync_groups.push_back({"G", {"VI_1", "VI_2"}, {}, {}, {}, {}, false});
  return c;
}

TEST(EngineTest, SyncGroupMembersMoveTogether) {
  Harness h;
  h.net.addLink("eth1", {2, 0, 0, 0, 1, 1});
  h.net.addHostAddress("eth1", "198.18.1.1/24");
  h.start(grouped());
  h.advance(downInterval(150));
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_EQ(h.state("VI_2"), State::Master);
  h.net.setLink("eth1", true, false);  // one member's interface fails: both go
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.state("VI_2"), State::Fault);
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  h.net.setLink("eth1", true, true);
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_EQ(h.state("VI_2"), State::Backup);
  h.receive(200, "198.18.0.2");  // VI_1 hears a better master: neither is promoted
  h.advance(downInterval(150) - milliseconds(1));
  EXPECT_EQ(h.state("VI_2"), State::Backup);
}

// A sync group's own track_interface acts on every member (model/tracks.h); a member's own
// weighted track_interface counts as weight 0 without sync_group_tracking_weight, as in
// keepalived: its failure is a FAULT, not a lower priority.
TEST(EngineTest, SyncGroupTrackersActOnEveryMember) {
  Harness h;
  h.net.addLink("eth1", {2, 0, 0, 0, 1, 1});
  h.net.addHostAddress("eth1", "198.18.1.1/24");
  h.net.addLink("eth2", {2, 0, 0, 0, 1, 2});
  h.net.addLink("eth3", {2, 0, 0, 0, 1, 3});
  auto c = std::make_shared<model::Config>(*grouped());
  c->sync_groups[0].track_interface.push_back({"eth2"});
  c->vrrp_instances[0].track_interface.push_back({"eth3", true, -100, false, false});
  h.start(c);
  h.advance(downInterval(150));
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_EQ(h.state("VI_2"), State::Master);
  h.net.setLink("eth2", true, false);  // the group's tracked interface fails: both go
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.state("VI_2"), State::Fault);
  h.net.setLink("eth2", true, true);
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  h.advance(downInterval(150));
  ASSERT_EQ(h.state("VI_1"), State::Master);
  h.net.setLink("eth3", true, false);  // weight -100 ignored: FAULT, not priority 50
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.state("VI_2"), State::Fault);
}

TEST(EngineTest, SyncGroupSurvivesAReloadOfItsMembers) {
  Harness h;
  h.net.addLink("eth1", {2, 0, 0, 0, 1, 1});
  h.net.addHostAddress("eth1", "198.18.1.1/24");
  h.start(grouped());
  h.advance(downInterval(150));
  h.transitions.clear();
  auto updated = std::make_shared<model::Config>(*grouped());
  updated->vrrp_instances[1].priority = 140;
  ASSERT_TRUE(h.engine->reload(updated));
  h.pump();
  EXPECT_TRUE(h.transitions.empty());
  h.net.setLink("eth0", false, false);
  h.pump();
  EXPECT_EQ(h.state("VI_2"), State::Fault);
}

}  // namespace
}  // namespace keel::vrrp
