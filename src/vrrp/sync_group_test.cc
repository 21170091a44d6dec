#include "vrrp/sync_group.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace keel::vrrp {
namespace {

using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

InstanceParams params(const char* name, int priority) {
  InstanceParams p;
  p.name = name;
  p.base_priority = priority;
  p.own_address = ip("10.0.0.2");
  return p;
}

Advert advert(int priority) {
  Advert a;
  a.priority = static_cast<std::uint8_t>(priority);
  a.source = ip("10.0.0.1");
  return a;
}

// "0:MASTER->BACKUP 1:..." for the Notify actions of an update, in order.
std::string notifies(const SyncGroup::Update& update) {
  std::string out;
  for (const SyncGroup::MemberActions& m : update.members) {
    for (const Action& action : m.actions) {
      if (const auto* n = std::get_if<Notify>(&action)) {
        if (!out.empty()) out += ' ';
        out += std::to_string(m.member) + ":" + stateName(n->from) + "->" + stateName(n->to);
      }
    }
  }
  return out;
}

bool sendsPriorityZero(const Actions& actions) {
  for (const Action& action : actions) {
    if (const auto* a = std::get_if<SendAdvert>(&action); a && a->priority == 0) return true;
  }
  return false;
}

// Two members, VI_1 (priority 100) and VI_2 (priority 200): their down intervals differ
// (3.609375 s and 3.21875 s), so their timers expire at different times.
class SyncGroupTest : public ::testing::Test {
 protected:
  SyncGroupTest() : a_(params("VI_1", 100)), b_(params("VI_2", 200)), group_("VG_1", {&a_, &b_}) {}

  void startBoth(Micros now) {
    group_.reconcile(now);
    a_.start(now);
    b_.start(now);
    group_.reconcile(now);
  }

  // Expires both down timers (b first), reconciling after each like the shell does.
  void makeBothMaster() {
    startBoth(Micros{0});
    b_.onTimer(*b_.nextDeadline());
    group_.reconcile(Micros{3'218'750});
    const Micros at = *a_.nextDeadline();
    a_.onTimer(at);
    group_.reconcile(at);
    ASSERT_EQ(a_.state(), State::Master);
    ASSERT_EQ(b_.state(), State::Master);
  }

  StateMachine a_;
  StateMachine b_;
  SyncGroup group_;
};

TEST_F(SyncGroupTest, AMemberGoesMasterOnlyWhenEveryMemberWantsIt) {
  startBoth(Micros{0});
  EXPECT_EQ(group_.state(), State::Backup);
  const Micros b_due = *b_.nextDeadline();
  EXPECT_EQ(b_due, Micros{3'218'750});     // 3 s + 56 / 256 s
  EXPECT_TRUE(b_.onTimer(b_due).empty());  // a member waits for the group
  EXPECT_EQ(b_.state(), State::Backup);
  EXPECT_TRUE(b_.wantsMaster());
  EXPECT_EQ(b_.nextDeadline(), std::nullopt);
  SyncGroup::Update u = group_.reconcile(b_due);
  EXPECT_TRUE(u.members.empty());
  EXPECT_EQ(b_.state(), State::Backup);

  const Micros a_due = *a_.nextDeadline();
  EXPECT_EQ(a_due, Micros{3'609'375});
  EXPECT_TRUE(a_.onTimer(a_due).empty());
  u = group_.reconcile(a_due);
  EXPECT_EQ(notifies(u), "0:BACKUP->MASTER 1:BACKUP->MASTER");
  ASSERT_TRUE(u.group);
  EXPECT_EQ(*u.group, (Notify{State::Backup, State::Master}));
  EXPECT_EQ(a_.nextDeadline(), a_due + seconds(1));
  EXPECT_TRUE(group_.reconcile(a_due).members.empty());  // idempotent
}

TEST_F(SyncGroupTest, AnAcceptedAdvertWithdrawsTheWish) {
  startBoth(Micros{0});
  b_.onTimer(*b_.nextDeadline());
  group_.reconcile(Micros{3'218'750});
  b_.onAdvert(advert(250), seconds(3) + Micros{300'000});  // b's peer is alive after all
  EXPECT_FALSE(b_.wantsMaster());
  a_.onTimer(*a_.nextDeadline());
  const SyncGroup::Update u = group_.reconcile(Micros{3'609'375});
  EXPECT_TRUE(u.members.empty());
  EXPECT_EQ(a_.state(), State::Backup);
  EXPECT_EQ(b_.state(), State::Backup);
}

TEST_F(SyncGroupTest, OneMemberYieldingTakesTheOthersToBackup) {
  makeBothMaster();
  const Micros t = seconds(5);
  const Actions own = a_.onAdvert(advert(150), t);  // higher than VI_1's 100
  EXPECT_EQ(a_.state(), State::Backup);
  EXPECT_FALSE(sendsPriorityZero(own));
  const SyncGroup::Update u = group_.reconcile(t);
  EXPECT_EQ(notifies(u), "1:MASTER->BACKUP");
  ASSERT_EQ(u.members.size(), 1u);
  EXPECT_FALSE(sendsPriorityZero(u.members[0].actions));
  EXPECT_TRUE(std::holds_alternative<RemoveAddresses>(u.members[0].actions.front()));
  EXPECT_EQ(b_.nextDeadline(), t + Micros{3'218'750});
  EXPECT_EQ(group_.state(), State::Backup);
}

TEST_F(SyncGroupTest, OneMemberFaultFaultsAllUntilEveryFaultClears) {
  makeBothMaster();
  EXPECT_FALSE(a_.setFault(true, seconds(5)).empty());
  SyncGroup::Update u = group_.reconcile(seconds(5));
  EXPECT_EQ(notifies(u), "1:MASTER->FAULT");
  ASSERT_EQ(u.members.size(), 1u);
  EXPECT_TRUE(sendsPriorityZero(u.members[0].actions));
  ASSERT_TRUE(u.group);
  EXPECT_EQ(*u.group, (Notify{State::Master, State::Fault}));

  b_.setFault(true, seconds(6));  // b now has a fault of its own too
  EXPECT_TRUE(group_.reconcile(seconds(6)).members.empty());
  a_.setFault(false, seconds(7));  // a stays FAULT: b's fault holds the group
  EXPECT_EQ(a_.state(), State::Fault);
  EXPECT_TRUE(group_.reconcile(seconds(7)).members.empty());

  EXPECT_TRUE(b_.setFault(false, seconds(8)).empty());  // still held by the group
  u = group_.reconcile(seconds(8));
  EXPECT_EQ(notifies(u), "0:FAULT->BACKUP 1:FAULT->BACKUP");
  EXPECT_EQ(a_.nextDeadline(), seconds(8) + Micros{3'609'375});
  EXPECT_EQ(b_.nextDeadline(), seconds(8) + Micros{3'218'750});
  EXPECT_EQ(group_.state(), State::Backup);
}

TEST_F(SyncGroupTest, AFaultPresentAtStartUpGoesStraightToFault) {
  b_.setFault(true, Micros{0});
  group_.reconcile(Micros{0});
  EXPECT_EQ(notifies({{{0, a_.start(Micros{0})}}, {}}), "0:INIT->FAULT");
  b_.start(Micros{0});
  const SyncGroup::Update u = group_.reconcile(Micros{0});
  EXPECT_TRUE(u.members.empty());
  ASSERT_TRUE(u.group);
  EXPECT_EQ(*u.group, (Notify{State::Init, State::Fault}));
}

TEST(SyncGroupOwnerTest, AnOwnerWithStateMasterWaitsForTheGroup) {
  InstanceParams owner = params("VI_1", 255);
  owner.want_master = true;
  StateMachine a(owner);
  StateMachine b(params("VI_2", 100));
  SyncGroup group("VG_1", {&a, &b});
  group.reconcile(Micros{0});
  EXPECT_EQ(notifies({{{0, a.start(Micros{0})}}, {}}), "0:INIT->BACKUP");
  EXPECT_TRUE(a.wantsMaster());
  b.start(Micros{0});
  EXPECT_TRUE(group.reconcile(Micros{0}).members.empty());
  const Micros due = *b.nextDeadline();
  b.onTimer(due);
  EXPECT_EQ(notifies(group.reconcile(due)), "0:BACKUP->MASTER 1:BACKUP->MASTER");
}

// A reload rebuilds the group around running members: adopt() takes their state, so the
// rebuild itself reports no group transition and forces no member.
TEST_F(SyncGroupTest, ARebuiltGroupAdoptsItsRunningMembersState) {
  makeBothMaster();
  SyncGroup rebuilt("VG_1", {&a_, &b_});
  EXPECT_EQ(rebuilt.state(), State::Init);
  rebuilt.adopt();
  EXPECT_EQ(rebuilt.state(), State::Master);
  const SyncGroup::Update u = rebuilt.reconcile(seconds(5));
  EXPECT_TRUE(u.members.empty());
  EXPECT_FALSE(u.group);
}

}  // namespace
}  // namespace keel::vrrp
