#include "dataplane/ipvs/convert.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace keel::dataplane::ipvs {
namespace {

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

TEST(IpvsConvert, SchedulerFlagsAreBitsNamedAsIpvsadmNamesThem) {
  EXPECT_EQ(schedulerFlagBits({"sh-port", "sh-fallback"}), kFlagSched1 | kFlagSched2);
  EXPECT_EQ(schedulerFlagBits({"mh-port"}), kFlagSched2);
  EXPECT_EQ(schedulerFlagBits({"flag-1", "flag-3"}), kFlagSched1 | kFlagSched3);
  EXPECT_EQ(schedulerFlagNames("sh", kFlagSched1 | kFlagSched2),
            (std::vector<std::string>{"sh-fallback", "sh-port"}));
  EXPECT_EQ(schedulerFlagNames("mh", kFlagSched2), (std::vector<std::string>{"mh-port"}));
  EXPECT_EQ(schedulerFlagNames("wrr", kFlagSched1 | kFlagSched3),
            (std::vector<std::string>{"flag-1", "flag-3"}));
}

TEST(IpvsConvert, PersistenceNetmask) {
  EXPECT_EQ(netmaskOf(false, 0), 0xffffffffU);
  EXPECT_EQ(netmaskOf(false, 32), 0xffffffffU);
  EXPECT_EQ(netmaskOf(false, 24), htonl(0xffffff00U));
  EXPECT_EQ(netmaskOf(true, 0), 128U);
  EXPECT_EQ(netmaskOf(true, 64), 64U);
}

TEST(IpvsConvert, ServiceBecomesAnIpvsServiceWithItsDests) {
  lb::Service s;
  s.key = {ip("198.18.0.100"), 80, lb::Protocol::Tcp, 0};
  s.scheduler = "rr";
  s.persistence_timeout = std::chrono::seconds(50);
  s.persistence_prefix = 24;
  s.reals.push_back({{ip("198.18.0.11"), 80}, 2, lb::Forwarding::Dr, 100, 10, false});
  s.reals.push_back({{ip("198.18.0.12"), 8080}, 0, lb::Forwarding::Nat, 0, 0, false});
  const DesiredService d = toIpvs(s);
  EXPECT_EQ(d.key, (IpvsServiceKey{AF_INET, IPPROTO_TCP, ip("198.18.0.100"), 80, 0}));
  EXPECT_EQ(d.config, (IpvsServiceConfig{"rr", kFlagPersistent, 50, htonl(0xffffff00U), ""}));
  ASSERT_EQ(d.dests.size(), 2u);
  EXPECT_EQ(d.dests[0].forwarding, kFwdRoute);
  EXPECT_EQ(d.dests[0].weight, 2u);
  EXPECT_EQ(d.dests[0].upper_threshold, 100u);
  EXPECT_EQ(d.dests[1].forwarding, kFwdMasq);
  EXPECT_EQ(d.dests[1].weight, 0u);  // quiesced: no new connections
  EXPECT_EQ(serviceKey(d.key), s.key);
  EXPECT_EQ(realKey(d.dests[1]), (lb::RealKey{ip("198.18.0.12"), 8080}));
}

TEST(IpvsConvert, FwmarkAndOpsServices) {
  lb::Service f;
  f.key = {base::IpAddress::fromV6Bytes({}), 0, lb::Protocol::Tcp, 7};
  f.scheduler = "wlc";
  const DesiredService d = toIpvs(f);
  EXPECT_EQ(d.key.af, AF_INET6);
  EXPECT_EQ(d.key.fwmark, 7u);
  EXPECT_EQ(d.config.netmask, 128u);
  EXPECT_EQ(serviceKey(d.key), f.key);
  lb::Service u;
  u.key = {ip("198.18.0.100"), 53, lb::Protocol::Udp, 0};
  u.scheduler = "sh";
  u.scheduler_flags = {"sh-port"};
  u.one_packet = true;
  EXPECT_EQ(toIpvs(u).config.flags, kFlagOnePacket | kFlagSched2);
  EXPECT_EQ(toIpvs(u).key.protocol, IPPROTO_UDP);
}

TEST(IpvsConvert, TunnelOptionsOfATunReal) {
  lb::Service s;
  s.key = {ip("198.18.0.100"), 80, lb::Protocol::Tcp, 0};
  lb::Real gue{{ip("198.18.0.11"), 80},
               1,
               lb::Forwarding::Tun,
               0,
               0,
               false,
               {lb::TunnelType::Gue, 6080, false, true}};
  lb::Real dr{{ip("198.18.0.12"), 80},
              1,
              lb::Forwarding::Dr,
              0,
              0,
              false,
              {lb::TunnelType::Gre, 0, true, false}};  // not a TUN real: ignored
  s.reals = {gue, dr};
  const DesiredService d = toIpvs(s);
  EXPECT_EQ(d.dests[0].tun_type, TunnelType::Gue);
  EXPECT_EQ(d.dests[0].tun_port, 6080);
  EXPECT_EQ(d.dests[0].tun_flags, kTunRemCsum);
  EXPECT_EQ(d.dests[1].tun_type, TunnelType::Ipip);
  EXPECT_EQ(d.dests[1].tun_flags, 0);
}

TEST(IpvsConvert, CountersAndForwarding) {
  IpvsStats st{5, 10, 8, 1000, 800, 1, 2, 3, 4, 5};
  EXPECT_EQ(counters(st), (Counters{5, 10, 1000, 8, 800}));
  for (lb::Forwarding f : {lb::Forwarding::Nat, lb::Forwarding::Dr, lb::Forwarding::Tun}) {
    EXPECT_EQ(forwarding(ipvsForwarding(f)), f);
  }
}

TEST(IpvsConvert, TheSyncDaemonFollowsItsInstanceWithItsRouterIdUnlessOneIsNamed) {
  model::Config config;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.virtual_router_id = 51;
  config.vrrp_instances.push_back(vi);
  EXPECT_FALSE(syncDaemonFor(config, "VI_1", true));  // no lvs_sync_daemon
  config.global.lvs_sync_daemon =
      model::LvsSyncDaemon{"eth1", "VI_1", std::nullopt, 1472, 0, 0, ip("224.0.0.82")};
  EXPECT_FALSE(syncDaemonFor(config, "VI_2", true));
  const auto master = syncDaemonFor(config, "VI_1", true);
  ASSERT_TRUE(master);
  EXPECT_EQ(master->state, kSyncMaster);
  EXPECT_EQ(master->interface, "eth1");
  EXPECT_EQ(master->sync_id, 51U);
  EXPECT_EQ(master->max_len, 1472);
  EXPECT_EQ(master->group, ip("224.0.0.82"));
  config.global.lvs_sync_daemon->sync_id = 7;
  const auto backup = syncDaemonFor(config, "VI_1", false);
  ASSERT_TRUE(backup);
  EXPECT_EQ(backup->state, kSyncBackup);
  EXPECT_EQ(backup->sync_id, 7U);
}

TEST(IpvsConvert, LvsTimeoutsInSeconds) {
  EXPECT_EQ(timeoutsOf({900, 120, 300}), (IpvsTimeouts{900, 120, 300}));
}

}  // namespace
}  // namespace keel::dataplane::ipvs
