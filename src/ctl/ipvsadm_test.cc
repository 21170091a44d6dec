#include "ctl/ipvsadm.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

using lb::Forwarding;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

lb::Service webService() {
  lb::Service web;
  web.key = {ip("192.168.1.100"), 80, lb::Protocol::Tcp, 0};
  web.scheduler = "rr";
  web.persistence_timeout = std::chrono::seconds(50);
  web.reals = {{{ip("192.168.1.11"), 80}, 1, Forwarding::Dr, 0, 0, false},
               {{ip("192.168.1.12"), 80}, 3, Forwarding::Dr, 0, 0, false}};
  return web;
}

// Sorted by key: the fwmark service (address 0.0.0.0) first, IPv6 last.
lb::ServiceTable seedTable() {
  lb::Service dns;
  dns.key = {ip("2001:db8::1"), 53, lb::Protocol::Udp, 0};
  dns.scheduler = "mh";
  dns.scheduler_flags = {"mh-fallback", "mh-port"};
  dns.reals = {{{ip("2001:db8::11"), 53}, 1, Forwarding::Nat, 0, 0, false}};
  lb::Service mark;
  mark.key = {ip("0.0.0.0"), 0, lb::Protocol::Tcp, 7};
  mark.scheduler = "wlc";
  mark.persistence_timeout = std::chrono::seconds(300);
  mark.persistence_prefix = 24;
  mark.one_packet = true;
  mark.reals = {{{ip("10.0.0.2"), 0}, 0, Forwarding::Tun, 0, 0, false}};
  return lb::ServiceTable::of({webService(), dns, mark});
}

TEST(IpvsadmTest, ListMatchesIpvsadmLayout) {
  const auto views = buildViews(seedTable(), {}, {});
  EXPECT_EQ(renderList(views),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  192.168.1.100:80 rr persistent 50\n"
            "  -> 192.168.1.11:80              Route   1      0          0         \n"
            "  -> 192.168.1.12:80              Route   3      0          0         \n"
            "UDP  [2001:db8::1]:53 mh (mh-fallback,mh-port)\n"
            "  -> [2001:db8::11]:53            Masq    1      0          0         \n"
            "FWM  7 wlc persistent 300 mask 255.255.255.0 ops\n"
            "  -> 10.0.0.2:0                   Tunnel  0      0          0         \n");
}

// What Debian 12's ipvsadm 1.31 printed for the same table (tests/vm checks keelctl against
// ipvsadm itself): address services before fwmark ones, IPv4 before IPv6, TCP before UDP before
// SCTP, flags in bit order named for the scheduler, "SCTP " and "FWM  N IPv6".
TEST(IpvsadmTest, ListSortsAndNamesAsIpvsadm) {
  auto svc = [](const char* a, std::uint16_t port, lb::Protocol p, std::uint32_t mark,
                const char* sched, std::vector<std::string> flags) {
    lb::Service s;
    s.key = {ip(a), port, p, mark};
    s.scheduler = sched;
    s.scheduler_flags = std::move(flags);
    return s;
  };
  using P = lb::Protocol;
  auto sh = svc("198.18.0.100", 53, P::Udp, 0, "sh", {"sh-port", "sh-fallback"});
  sh.one_packet = true;
  auto wrr = svc("2001:db8::100", 80, P::Tcp, 0, "wrr", {"flag-3", "flag-1"});
  auto v6mark = svc("::", 0, P::Tcp, 8, "lc", {});
  v6mark.persistence_timeout = std::chrono::seconds(10);
  v6mark.persistence_prefix = 64;
  auto web = svc("198.18.0.100", 80, P::Tcp, 0, "rr", {});
  web.reals = {{{ip("198.18.0.13"), 8080}, 3, Forwarding::Nat, 0, 0, false},
               {{ip("198.18.0.11"), 80}, 1, Forwarding::Dr, 0, 0, false}};
  const auto table = lb::ServiceTable::of({svc("198.18.0.100", 9, P::Sctp, 0, "nq", {}), v6mark,
                                           wrr, svc("0.0.0.0", 0, P::Tcp, 7, "wlc", {}), sh, web,
                                           svc("198.18.0.101", 443, P::Tcp, 0, "mh", {"mh-port"})});
  EXPECT_EQ(renderList(buildViews(table, {}, {})),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  198.18.0.100:80 rr\n"
            "  -> 198.18.0.11:80               Route   1      0          0         \n"
            "  -> 198.18.0.13:8080             Masq    3      0          0         \n"
            "TCP  198.18.0.101:443 mh (mh-port)\n"
            "UDP  198.18.0.100:53 sh (sh-fallback,sh-port) ops\n"
            "SCTP 198.18.0.100:9 nq\n"
            "TCP  [2001:db8::100]:80 wrr (flag-1,flag-3)\n"
            "FWM  7 wlc\n"
            "FWM  8 IPv6 lc persistent 10 mask 64\n");
}

TEST(IpvsadmTest, ListPrintsConnectionCountsWhereTheBackendHasThem) {
  dataplane::ServiceStats s{webService().key, {}, {}};
  s.reals.push_back({{ip("192.168.1.11"), 80}, {}, 12, 345});
  const auto views = buildViews(seedTable(), {s}, {});
  EXPECT_NE(renderList(views).find(
                "  -> 192.168.1.11:80              Route   1      12         345       \n"),
            std::string::npos);
}

TEST(IpvsadmTest, StatsMatchIpvsadmLayout) {
  auto table = lb::ServiceTable::of({webService()});
  dataplane::ServiceStats s{table.services[0]->key, {5, 120, 9000, 0, 0}, {}};
  s.reals.push_back(
      {{ip("192.168.1.11"), 80}, {3, 100, 123456789, 0, 0}, std::nullopt, std::nullopt});
  EXPECT_EQ(renderStats(buildViews(table, {s}, {})),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.168.1.100:80                    5      120        0     9000        0\n"
            "  -> 192.168.1.11:80                     3      100        0  123456K        0\n"
            "  -> 192.168.1.12:80                     0        0        0        0        0\n");
}

TEST(IpvsadmTest, RateMatchesIpvsadmLayout) {
  auto table = lb::ServiceTable::of({webService()});
  dataplane::ServiceStats r{table.services[0]->key, {2, 40, 3200, 0, 0}, {}};
  EXPECT_EQ(renderRate(buildViews(table, {}, {r})),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.168.1.100:80                    2       40        0     3200        0\n"
            "  -> 192.168.1.11:80                     0        0        0        0        0\n"
            "  -> 192.168.1.12:80                     0        0        0        0        0\n");
}

TEST(IpvsadmTest, LargeNumbersUseIpvsadmUnits) {
  EXPECT_EQ(largeNumber(0), "        0");
  EXPECT_EQ(largeNumber(99'999'999), " 99999999");
  EXPECT_EQ(largeNumber(100'000'000), "  100000K");
  EXPECT_EQ(largeNumber(1'000'000'000), "    1000M");
  EXPECT_EQ(largeNumber(100'000'000'000), "     100G");
  EXPECT_EQ(largeNumber(100'000'000'000'000), "     100T");
}

TEST(IpvsadmTest, ConnectionsMatchIpvsadmLayout) {
  dataplane::Connection c;
  c.protocol = lb::Protocol::Tcp;
  c.client = ip("192.168.1.1");
  c.client_port = 51234;
  c.service = webService().key;
  c.real = {ip("192.168.1.11"), 80};
  c.state = "ESTABLISHED";
  c.expires = std::chrono::seconds(109);
  EXPECT_EQ(renderConnections({c}),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 01:49  ESTABLISHED 192.168.1.1:51234  192.168.1.100:80   192.168.1.11:80\n");
  c.expires = std::chrono::seconds(6000);  // ipvsadm's "%-6s": a longer field pushes the rest
  EXPECT_NE(renderConnections({c}).find("TCP 100:00 ESTABLISHED"), std::string::npos);
}

TEST(IpvsadmTest, JsonSaysWhatTheBackendCannotTell) {
  const auto json = toJson(buildViews(seedTable(), {}, {}));
  ASSERT_EQ(json.size(), 3U);
  EXPECT_EQ(json[0]["service"], "TCP 192.168.1.100:80");  // ipvsadm's order
  EXPECT_EQ(json[0]["persistence_timeout"], 50);
  EXPECT_EQ(json[0]["reals"][0]["forward"], "Route");
  EXPECT_TRUE(json[0]["reals"][0]["active_conns"].is_null());
  EXPECT_EQ(json[2]["fwmark"], 7);
}

TEST(IpvsadmTest, RatePerSecond) {
  const dataplane::Counters a{10, 100, 1000, 0, 0};
  const dataplane::Counters b{14, 300, 5000, 0, 0};
  EXPECT_EQ(ratePerSecond(a, b, 2.0), (dataplane::Counters{2, 100, 2000, 0, 0}));
  EXPECT_EQ(ratePerSecond(b, a, 2.0), (dataplane::Counters{}));  // went back: a restart
}

}  // namespace
}  // namespace keel::ctl
