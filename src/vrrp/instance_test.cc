// vrrp::Instance through its engine on a FakeNet host with a FakeClock: the receive path (keel's
// source checks), and the binding to the interface as netlink reports it changing.
#include "vrrp/instance.h"

#include <gtest/gtest.h>

#include "vrrp/engine_test_util.h"

namespace keel::vrrp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the harness
using std::chrono::milliseconds;
using std::chrono::seconds;

// A MASTER of priority 150 on eth0: started, down timer expired.
void becomeMaster(Harness& h, int priority = 150) {
  h.start(configOf({instance("VI_1", priority)}));
  ASSERT_EQ(h.state("VI_1"), State::Backup);
  h.advance(downInterval(priority));
  ASSERT_EQ(h.state("VI_1"), State::Master);
}

TEST(InstanceTest, BackupBecomesMasterSetsVipsAnnouncesAndAdvertises) {
  Harness h;
  h.start(configOf({instance("VI_1", 150)}));
  EXPECT_EQ(h.transitions, (std::vector<std::string>{"VI_1 INIT->BACKUP"}));
  EXPECT_EQ(h.net.groups("eth0"), (std::set<base::IpAddress>{ip("224.0.0.18")}));
  h.advance(downInterval(150) - milliseconds(1));
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  h.advance(milliseconds(1));
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_TRUE(h.net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{150}));
  EXPECT_EQ(h.garps(), 5u);  // vrrp_garp_master_repeat
  EXPECT_EQ(h.net.sent()[0].destination, ip("224.0.0.18"));
  EXPECT_EQ(h.net.sent()[0].source, ip("198.18.0.1"));
  h.advance(seconds(1));
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{150, 150}));
}

TEST(InstanceTest, HigherPriorityAdvertMakesMasterStepDownAndReleaseVips) {
  Harness h;
  becomeMaster(h);
  h.receive(200, "198.18.0.2");
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(h.instance("VI_1").machine().masterAddress(), ip("198.18.0.2"));
  // Lower priority adverts are discarded by a BACKUP: it takes over when 200 goes quiet.
  h.advance(downInterval(150));
  EXPECT_EQ(h.state("VI_1"), State::Master);
}

TEST(InstanceTest, BackupHearingAHigherMasterStaysBackup) {
  Harness h;
  h.start(configOf({instance("VI_1", 100)}));
  for (int i = 0; i < 10; ++i) {
    h.receive(150, "198.18.0.2");
    h.advance(seconds(1));
  }
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_TRUE(h.net.sent().empty());
}

// keel drops adverts whose IP source no VRRP router can have; keepalived obeys them
// (docs/vrrp.md). Each would make this MASTER step down; the control at the end does.
TEST(InstanceTest, MasterIgnoresAdvertsFromImpossibleSources) {
  Harness h;
  becomeMaster(h);
  const std::pair<const char*, DropReason> cases[] = {
      {"0.0.0.0", DropReason::SourceUnspecified},
      {"255.255.255.255", DropReason::SourceBroadcast},
      {"198.18.0.255", DropReason::SourceBroadcast},  // eth0's subnet broadcast
      {"198.18.0.0", DropReason::SourceBroadcast},    // and its network address
      {"224.0.0.5", DropReason::SourceMulticast},
      {"198.18.0.1", DropReason::SourceOwn},  // eth0's own address
      {"10.9.9.9", DropReason::SourceOffLink},
  };
  for (const auto& [source, reason] : cases) {
    const std::uint64_t before = h.drops("VI_1", reason);
    h.receive(255, source);
    EXPECT_EQ(h.state("VI_1"), State::Master) << source;
    EXPECT_EQ(h.drops("VI_1", reason), before + 1) << source << " " << dropReasonName(reason);
  }
  EXPECT_EQ(h.instance("VI_1").counters().adverts_received, 0u);
  h.receive(255, "198.18.0.2");  // the positive control
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_EQ(h.instance("VI_1").counters().adverts_received, 1u);
}

TEST(InstanceTest, OwnVipIsAnOwnSourceToo) {
  Harness h;
  becomeMaster(h);
  h.receive(255, "198.18.0.100");
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_EQ(h.drops("VI_1", DropReason::SourceOwn), 1u);
}

model::VrrpInstance unicastInstance(int priority, const char* peer) {
  model::VrrpInstance vi = instance("VI_1", priority);
  vi.unicast_src_ip = ip("198.18.0.1");
  vi.unicast_peer = {{ip(peer), std::nullopt, std::nullopt}};
  return vi;
}

void receiveUnicast(Harness& h, int priority, const char* source) {
  Advert a;
  a.vrid = 51;
  a.priority = static_cast<std::uint8_t>(priority);
  a.source = ip(source);
  a.addresses = {ip("198.18.0.100")};
  EncodeOptions o;
  o.destination = ip("198.18.0.1");
  o.ttl = 64;
  net::RawPacket p;
  p.bytes = encodeIpv4Packet(a, o);
  p.source = a.source;
  p.destination = o.destination;
  h.net.deliver("eth0", p);
  h.pump();
}

// Unicast peers may be routed: no subnet check, but the peer list is (keel's default
// vrrp_check_unicast_src).
TEST(InstanceTest, UnicastChecksThePeerListNotTheSubnet) {
  Harness h;
  h.start(configOf({unicastInstance(150, "10.9.9.9")}));
  h.advance(downInterval(150));
  ASSERT_EQ(h.state("VI_1"), State::Master);
  EXPECT_EQ(h.net.sent().back().destination, ip("10.9.9.9"));
  receiveUnicast(h, 255, "10.9.9.8");
  EXPECT_EQ(h.state("VI_1"), State::Master);
  EXPECT_EQ(h.drops("VI_1", DropReason::NotUnicastPeer), 1u);
  receiveUnicast(h, 255, "10.9.9.9");
  EXPECT_EQ(h.state("VI_1"), State::Backup);
}

TEST(InstanceTest, InterfaceDownFaultsMasterAndUpReturnsToBackup) {
  Harness h;
  becomeMaster(h);
  h.net.clearSent();
  h.net.setLink("eth0", true, false);  // carrier lost
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.advertPriorities(), (std::vector<int>{0}));  // the BACKUP takes over at once
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  h.net.setLink("eth0", true, true);
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  h.advance(downInterval(150));
  EXPECT_EQ(h.state("VI_1"), State::Master);
}

TEST(InstanceTest, InterfaceDeletedAndRecreatedIsBoundAgainToTheNewIndex) {
  Harness h;
  becomeMaster(h);
  const int old_index = h.net.index("eth0");
  h.net.removeLink("eth0");
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.instance("VI_1").bindFault(), "interface eth0 removed");
  EXPECT_EQ(h.net.openIpSockets(), 0u);
  const int new_index = h.net.addLink("eth0", {2, 0, 0, 0, 0, 2});
  ASSERT_NE(new_index, old_index);
  h.pump();
  EXPECT_EQ(h.instance("VI_1").bindFault(), "no IPv4 address on interface eth0");
  h.net.addHostAddress("eth0", "198.18.0.1/24");
  h.pump();
  EXPECT_EQ(h.instance("VI_1").bindFault(), "");
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  h.net.clearSent();
  h.advance(downInterval(150));
  ASSERT_EQ(h.state("VI_1"), State::Master);
  ASSERT_FALSE(h.net.sent().empty());
  EXPECT_EQ(h.net.sent()[0].ifindex, new_index);
  EXPECT_EQ(h.net.frames()[0].ifindex, new_index);
  EXPECT_EQ(h.net.frames()[0].bytes[11], 2);  // from the new MAC
  h.receive(200, "198.18.0.2");               // the new socket hears the segment
  EXPECT_EQ(h.state("VI_1"), State::Backup);
}

TEST(InstanceTest, RemovingTheSourceAddressFaultsTheMaster) {
  Harness h;
  becomeMaster(h);
  h.net.removeHostAddress("eth0", "198.18.0.1/24");
  h.pump();
  // The VIP (198.18.0.100/24) is still there but never a source: nothing is left to send from.
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.instance("VI_1").bindFault(), "no IPv4 address on interface eth0");
  EXPECT_FALSE(h.net.hasAddress("eth0", "198.18.0.100"));
  h.net.addHostAddress("eth0", "198.18.0.1/24");
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Backup);
}

TEST(InstanceTest, RemovingTheSourceAddressMovesToAnotherWhenThereIsOne) {
  Harness h;
  h.net.addHostAddress("eth0", "198.18.1.1/24");
  becomeMaster(h);
  h.net.removeHostAddress("eth0", "198.18.0.1/24");
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Master);
  h.net.clearSent();
  h.advance(seconds(1));
  ASSERT_FALSE(h.net.sent().empty());
  EXPECT_EQ(h.net.sent()[0].source, ip("198.18.1.1"));
}

TEST(InstanceTest, MissingInterfaceIsAFaultWithItsReasonUntilItAppears) {
  Harness h;
  h.start(configOf({instance("VI_1", 150, 51, "eth9")}));
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_EQ(h.instance("VI_1").bindFault(), "interface eth9 not found");
  EXPECT_EQ(h.engine->status().instances[0].fault, "interface eth9 not found");
  h.net.addLink("eth9");
  h.net.addHostAddress("eth9", "198.18.0.1/24");
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Backup);
  EXPECT_TRUE(h.engine->status().instances[0].fault.empty());
}

TEST(InstanceTest, SocketErrorsAreAFaultRetriedEverySecond) {
  Harness h;
  h.net.failIpOpens(2);
  h.start(configOf({instance("VI_1", 150)}));
  EXPECT_EQ(h.state("VI_1"), State::Fault);
  EXPECT_NE(h.instance("VI_1").bindFault().find("cannot open a raw socket"), std::string::npos);
  h.advance(Instance::kRebindRetry);
  EXPECT_EQ(h.state("VI_1"), State::Fault);  // the second open fails too
  h.advance(Instance::kRebindRetry);
  EXPECT_EQ(h.state("VI_1"), State::Backup);
}

TEST(InstanceTest, LostNetlinkEventsAreRecoveredByReadingTheStateAgain) {
  Harness h;
  becomeMaster(h);
  h.net.setLink("eth0", false, false);
  h.net.loseEvents();
  h.pump();
  EXPECT_EQ(h.state("VI_1"), State::Fault);
}

}  // namespace
}  // namespace keel::vrrp
