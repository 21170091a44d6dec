#include "conf/binder.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "conf/reader.h"

namespace keel::conf {
namespace {

using std::chrono::seconds;

// The seed's MASTER configuration, typed anew with lab addresses (198.18.0.0/24).
constexpr std::string_view kSeedMaster = R"(# Global Configuration
global_defs {
notification_email {
notification@domain.org
}
notification_email_from keepalived@domain.org
smtp_server localhost
smtp_connect_timeout 30
router_id LVS_MASTER # string identifying the machine
}
# describe virtual service ip
vrrp_instance VI_1 {
# initial state
state MASTER
interface eth0
virtual_router_id 1
priority 100
authentication {
auth_type PASS
auth_pass hogehoge
}
virtual_ipaddress {
198.18.0.100/24
}
notify_master "/etc/keepalived/bypass_ipvs.sh del 198.18.0.100"
notify_backup "/etc/keepalived/bypass_ipvs.sh add 198.18.0.100"
notify_fault "/etc/keepalived/bypass_ipvs.sh add 198.18.0.100"
}
# describe virtual web server
virtual_server 198.18.0.100 80 {
delay_loop 30
lb_algo rr
lb_kind DR
persistence_timeout 50
protocol TCP
real_server 198.18.0.21 80 {
HTTP_GET {
url {
path /index.html
}
connect_timeout 3
nb_get_retry 3
delay_before_retry 2
}
}
}
)";

class BinderTest : public ::testing::Test {
 protected:
  model::Config read(std::string_view text) {
    return readConfigText("keepalived.conf", text, PreprocessOptions{}, diags_);
  }
  bool said(const std::string& message) const {
    const auto all = messages();
    return std::find(all.begin(), all.end(), message) != all.end();
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& d : diags_.all()) out.push_back(d.message);
    return out;
  }
  Diagnostics diags_;
};

TEST_F(BinderTest, SeedMasterBindsToTheExpectedModel) {
  model::Config c = read(kSeedMaster);
  // The mail keywords bind (docs/mail.md); keepalived's own deprecation warning for nb_get_retry.
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_EQ(messages(), (std::vector<std::string>{"nb_get_retry is deprecated, use retry"}));

  EXPECT_EQ(c.global.router_id, "LVS_MASTER");
  EXPECT_EQ(c.global.notification_email, std::vector<std::string>{"notification@domain.org"});
  EXPECT_EQ(c.global.smtp_server, "localhost");
  EXPECT_EQ(c.global.smtp_connect_timeout, seconds(30));

  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  const model::VrrpInstance& vi = c.vrrp_instances[0];
  EXPECT_EQ(vi.name, "VI_1");
  EXPECT_EQ(vi.state, model::InitialState::Master);
  EXPECT_EQ(vi.interface, "eth0");
  EXPECT_EQ(vi.virtual_router_id, 1);
  EXPECT_EQ(vi.priority, 100);
  EXPECT_EQ(vi.advert_int, seconds(1));
  EXPECT_EQ(vi.auth_type, model::AuthType::Pass);
  EXPECT_EQ(vi.auth_pass, "hogehoge");
  ASSERT_EQ(vi.virtual_ipaddress.size(), 1u);
  EXPECT_EQ(vi.virtual_ipaddress[0].address.str(), "198.18.0.100/24");
  EXPECT_EQ(vi.notify.master.argv,
            (std::vector<std::string>{"/etc/keepalived/bypass_ipvs.sh", "del", "198.18.0.100"}));
  EXPECT_EQ(vi.notify.backup.argv[1], "add");

  ASSERT_EQ(c.virtual_servers.size(), 1u);
  const model::VirtualServer& vs = c.virtual_servers[0];
  EXPECT_EQ(std::get<model::VsAddress>(vs.key).address.str(), "198.18.0.100");
  EXPECT_EQ(std::get<model::VsAddress>(vs.key).port, 80);
  EXPECT_EQ(vs.scheduler, "rr");
  EXPECT_EQ(vs.forwarding, model::Forwarding::Dr);
  EXPECT_EQ(vs.protocol, model::Protocol::Tcp);
  EXPECT_EQ(vs.persistence_timeout, seconds(50));
  EXPECT_EQ(vs.delay_loop, seconds(30));
  ASSERT_EQ(vs.real_servers.size(), 1u);
  const model::RealServer& rs = vs.real_servers[0];
  EXPECT_EQ(rs.address.str(), "198.18.0.21");
  EXPECT_EQ(rs.port, 80);
  EXPECT_EQ(rs.weight, 1);
  ASSERT_EQ(rs.checkers.size(), 1u);
  const model::Checker& chk = rs.checkers[0];
  const auto& http = std::get<model::HttpCheck>(chk.kind);
  ASSERT_EQ(http.urls.size(), 1u);
  EXPECT_EQ(http.urls[0].path, "/index.html");
  EXPECT_EQ(chk.timing.connect_timeout, seconds(3));
  EXPECT_EQ(chk.timing.retry, 3);
  EXPECT_EQ(chk.timing.delay_before_retry, seconds(2));
  EXPECT_EQ(chk.timing.delay_loop, seconds(30));  // inherited from the virtual server
}

// The seed's BACKUP differs from its MASTER only in state and priority.
TEST_F(BinderTest, SeedBackupBindsWithItsStateAndPriority) {
  std::string backup(kSeedMaster);
  backup.replace(backup.find("state MASTER"), 12, "state BACKUP");
  backup.replace(backup.find("priority 100"), 12, "priority 50");
  model::Config c = read(backup);
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  EXPECT_EQ(c.vrrp_instances[0].state, model::InitialState::Backup);
  EXPECT_EQ(c.vrrp_instances[0].priority, 50);
  EXPECT_EQ(c.virtual_servers.size(), 1u);
}

TEST_F(BinderTest, CheckerSettingsInheritFromRealServerThenVirtualServer) {
  model::Config c = read(R"(virtual_server 198.18.0.100 80 {
  lb_algo wrr
  lb_kind NAT
  protocol tcp
  connect_timeout 7
  retry 4
  weight 3
  real_server 198.18.0.21 80 {
    delay_before_retry 9
    TCP_CHECK { connect_port 8080 }
    MISC_CHECK { misc_path "/bin/check 'a b'" retry 0 }
  }
  real_server 198.18.0.22 80 { weight 5 }
}
)");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  const auto& rs = c.virtual_servers[0].real_servers;
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].weight, 3);
  EXPECT_EQ(rs[1].weight, 5);
  const model::Checker& tcp = rs[0].checkers[0];
  EXPECT_EQ(tcp.timing.connect_timeout, seconds(7));
  EXPECT_EQ(tcp.timing.retry, 4);
  EXPECT_EQ(tcp.timing.delay_before_retry, seconds(9));
  EXPECT_EQ(tcp.timing.delay_loop, seconds(60));
  EXPECT_EQ(tcp.target.connect_port, 8080);
  const model::Checker& misc = rs[0].checkers[1];
  EXPECT_EQ(std::get<model::MiscCheck>(misc.kind).path.argv,
            (std::vector<std::string>{"/bin/check", "a b"}));
}

TEST_F(BinderTest, ProblemsNameTheirPlaceAndTheRestStillBinds) {
  model::Config c = read(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 256
  priority 100
  bogus_block {
    priority 42
  }
  virtual_ipaddress {
    198.18.0.300/24
  }
}
virtual_server 198.18.0.100 80 {
  lb_algo roundrobin
}
)");
  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  EXPECT_EQ(c.vrrp_instances[0].priority, 100);  // the unknown block's body is not bound
  EXPECT_EQ(diags_.renderAll(),
            "keepalived.conf:3:21: error: invalid virtual_router_id \"256\": expected an integer "
            "1-255\n"
            "      virtual_router_id 256\n"
            "                        ^\n"
            "keepalived.conf:5:3: error: unknown keyword 'bogus_block' in vrrp_instance (its block "
            "is skipped)\n"
            "      bogus_block {\n"
            "      ^\n"
            "keepalived.conf:9:5: error: invalid IPv4 address \"198.18.0.300\": expected four "
            "decimal numbers 0-255 separated by dots, without leading zeros\n"
            "        198.18.0.300/24\n"
            "        ^\n"
            "keepalived.conf:1:15: error: (VI_1) the virtual router id must be set\n"
            "    vrrp_instance VI_1 {\n"
            "                  ^\n"
            "keepalived.conf:1:15: warning: (VI_1) no virtual addresses\n"
            "    vrrp_instance VI_1 {\n"
            "                  ^\n"
            "keepalived.conf:13:11: error: invalid lb_algo \"roundrobin\": expected one of rr wrr "
            "lc wlc lblc sh mh dh fo ovf lblcr sed nq twos\n"
            "      lb_algo roundrobin\n"
            "              ^\n"
            "keepalived.conf:12:1: error: no scheduler set (lb_algo), defaulting to wlc\n"
            "    virtual_server 198.18.0.100 80 {\n"
            "    ^\n"
            "keepalived.conf:12:1: error: no forwarding method set (lb_kind), defaulting to NAT\n"
            "    virtual_server 198.18.0.100 80 {\n"
            "    ^\n"
            "keepalived.conf:12:1: error: no protocol set - defaulting to UDP\n"
            "    virtual_server 198.18.0.100 80 {\n"
            "    ^\n"
            "keepalived.conf:12:16: warning: virtual_server 198.18.0.100:80/UDP has no real "
            "servers\n"
            "    virtual_server 198.18.0.100 80 {\n"
            "                   ^\n");
}

TEST_F(BinderTest, WholeConfigChecksRunAfterBinding) {
  read(R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.100 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.101 }
}
)");
  EXPECT_EQ(messages(),
            std::vector<std::string>{"(VI_2) virtual_router_id 9 on eth0 is already used by VI_1"});
}

TEST_F(BinderTest, HostileNamesAndValues) {
  read(R"(vrrp_instance "" {
}
vrrp_instance VI_1 {
  interface an_interface_name_too_long
  virtual_router_id 1
  advert_int 0
  priority -1
  preempt_delay 1001
  virtual_ipaddress { 198.18.0.100/33 }
}
)");
  EXPECT_EQ(
      messages(),
      (std::vector<std::string>{
          "'vrrp_instance' needs a non-empty value",
          "interface name \"an_interface_name_too_long\" is longer than 15 characters",
          "invalid advert_int \"0\": expected seconds 0.01-255",
          "invalid priority \"-1\": expected an integer 1-255",
          "invalid preempt_delay \"1001\": expected seconds 0-1000",
          "invalid prefix length \"33\" in \"198.18.0.100/33\": expected 0-32 for IPv4",
          "(VI_1) an interface is needed (or unicast peers)", "(VI_1) no virtual addresses"}));
}

TEST_F(BinderTest, DirectRoutingKeepsTheVirtualServersPort) {
  model::Config c = read(R"(virtual_server 198.18.0.100 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 198.18.0.21 8080 {
  }
  real_server 198.18.0.22 8080 {
    lvs_method NAT
  }
}
)");
  EXPECT_EQ(messages(),
            std::vector<std::string>{"virtual server [198.18.0.100]:tcp:80 and real server "
                                     "[198.18.0.21]:tcp:8080 ports don't match - resetting"});
  EXPECT_EQ(c.virtual_servers[0].real_servers[0].port, 80);
  EXPECT_EQ(c.virtual_servers[0].real_servers[1].port, 8080);
}

TEST_F(BinderTest, SchedulerFlags) {
  model::Config c = read(
      "virtual_server 198.18.0.1 80 {\n lb_algo sh\n lb_kind NAT\n protocol TCP\n sh-port\n"
      " sh-fallback\n flag-9\n real_server 198.18.0.2 80 {\n }\n}\n");
  EXPECT_EQ(c.virtual_servers[0].scheduler_flags,
            (std::vector<std::string>{"sh-port", "sh-fallback"}));
  EXPECT_EQ(messages(), std::vector<std::string>{"unknown keyword 'flag-9' in virtual_server"});
}

TEST_F(BinderTest, TunOptions) {
  model::Config c = read(
      "global_defs {\n keel_dataplane ipvs\n}\n"
      "virtual_server 198.18.0.1 80 {\n lb_algo rr\n lb_kind TUN type gre csum\n protocol TCP\n"
      " real_server 198.18.0.2 80 {\n }\n real_server 198.18.0.3 80 {\n"
      "  lvs_method TUN type gue port 6080 remcsum\n }\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  const model::VirtualServer& vs = c.virtual_servers.at(0);
  EXPECT_EQ(vs.tunnel,
            (model::TunnelOptions{model::TunnelType::Gre, 0, model::TunnelChecksum::Csum}));
  EXPECT_FALSE(vs.real_servers.at(0).tunnel);  // the virtual server's
  EXPECT_EQ(vs.real_servers.at(1).tunnel,
            (model::TunnelOptions{model::TunnelType::Gue, 6080, model::TunnelChecksum::RemCsum}));
  read("virtual_server 198.18.0.1 80 {\n lb_algo rr\n lb_kind TUN type gue\n protocol TCP\n}\n");
  EXPECT_TRUE(said("TUN type gue needs 'port N'")) << diags_.renderAll();
  read("virtual_server 198.18.0.1 80 {\n lb_algo rr\n lb_kind TUN remcsum\n protocol TCP\n}\n");
  EXPECT_TRUE(said("remcsum needs TUN type gue")) << diags_.renderAll();
}

TEST_F(BinderTest, LvsSyncDaemonAndTimeouts) {
  model::Config c = read(
      "global_defs {\n  keel_dataplane ipvs\n  lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port "
      "8850 ttl 2 group 239.1.2.3\n  lvs_timeouts tcp 7200 udp 60\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  ASSERT_TRUE(c.global.lvs_sync_daemon);
  const model::LvsSyncDaemon& d = *c.global.lvs_sync_daemon;
  EXPECT_EQ(d.interface, "eth1");
  EXPECT_EQ(d.instance, "VI_1");
  EXPECT_EQ(d.sync_id, 7);
  EXPECT_EQ(d.max_len, 1400);
  EXPECT_EQ(d.port, 8850);
  EXPECT_EQ(d.ttl, 2);
  EXPECT_EQ(d.group, base::IpAddress::parse("239.1.2.3").value());
  EXPECT_EQ(c.global.lvs_timeouts, (model::LvsTimeouts{7200, 0, 60}));
  model::Config inst =
      read("global_defs {\n  keel_dataplane ipvs\n  lvs_sync_daemon eth0 inst VI_2\n}\n");
  EXPECT_EQ(inst.global.lvs_sync_daemon->instance, "VI_2");
  EXPECT_FALSE(inst.global.lvs_sync_daemon->sync_id);  // the instance's VRID, later
}

TEST_F(BinderTest, LvsSyncDaemonAndTimeoutsErrorsNameTheirPlace) {
  read("global_defs {\n  lvs_sync_daemon eth0 VI_1 group 198.18.0.1\n}\n");
  EXPECT_EQ(messages(), std::vector<std::string>{"lvs_sync_daemon group must be multicast"});
  read("global_defs {\n  lvs_timeouts tcp 7200 fin 5\n}\n");
  EXPECT_EQ(messages().back(), "unknown lvs_timeouts option 'fin' (tcp, tcpfin, udp)");
}

TEST_F(BinderTest, WhatOnlyIpvsServesIsRefusedAtItsPlaceWithoutKeelDataplaneIpvs) {
  const std::string body =
      "  lvs_sync_daemon eth0 VI_1\n}\n"
      "virtual_server fwmark 7 {\n lb_algo rr\n lb_kind TUN type gre\n"
      " real_server 198.18.0.2 80 {\n }\n}\n"
      "virtual_server 198.18.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol SCTP\n"
      " real_server 198.18.0.2 80 {\n }\n}\n";
  model::Config c = read("global_defs {\n  keel_dataplane ipvs\n" + body);
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  ASSERT_EQ(c.virtual_servers.size(), 2u);
  EXPECT_EQ(std::get<model::VsFwmark>(c.virtual_servers[0].key).mark, 7u);
  EXPECT_EQ(c.virtual_servers[1].protocol, model::Protocol::Sctp);
  read("global_defs {\n  keel_dataplane auto\n" + body);
  EXPECT_EQ(diags_.errors(), 4u) << diags_.renderAll();
  const std::string text = diags_.renderAll();
  EXPECT_NE(text.find("keepalived.conf:3:3: error: 'lvs_sync_daemon without keel_dataplane ipvs' "
                      "is refused"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("keepalived.conf:5:16: error: 'virtual_server fwmark' is refused: fwmark "
                      "services need the IPVS data plane"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("keepalived.conf:7:14: error: 'lb_kind TUN options' is refused"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("keepalived.conf:14:11: error: 'protocol SCTP' is refused"),
            std::string::npos)
      << text;
}

TEST_F(BinderTest, KeywordsKeelDoesNotDoAreRefusedWithTheirReason) {
  read("static_ipaddress {\n 1.2.3.4/24 dev eth0\n}\nglobal_defs {\n  rs_init_notifies\n}\n");
  EXPECT_EQ(diags_.renderAll(),
            "keepalived.conf:1:1: error: 'static_ipaddress' is refused: keel does not manage "
            "static addresses, routes or rules (nor track_group) yet; configure them with the "
            "system's network configuration\n"
            "    static_ipaddress {\n"
            "    ^\n"
            "keepalived.conf:5:3: error: 'rs_init_notifies' is refused: keel does not run "
            "real-server notify scripts at start yet; remove it\n"
            "      rs_init_notifies\n"
            "      ^\n");
}

TEST_F(BinderTest, InstanceNamesTheRuntimeDirectory) {
  model::Config c = read("instance lb-east\nglobal_defs {\n router_id A\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_TRUE(diags_.all().empty()) << diags_.renderAll();
  EXPECT_EQ(c.instance, "lb-east");
}

TEST_F(BinderTest, KeelDataplaneChoosesTheBackend) {
  model::Config c = read("global_defs {\n  keel_dataplane proxy\n  keel_proxy_workers 3\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_EQ(c.global.dataplane, model::DataplaneKind::Proxy);
  EXPECT_EQ(c.global.proxy_workers, 3);
  EXPECT_EQ(read("global_defs {\n keel_dataplane xdp\n}\n").global.dataplane,
            model::DataplaneKind::Xdp);
  EXPECT_EQ(read("global_defs {\n keel_dataplane ipvs\n}\n").global.dataplane,
            model::DataplaneKind::Ipvs);
  EXPECT_EQ(model::Config{}.global.dataplane, model::DataplaneKind::Auto);
}

TEST_F(BinderTest, KeelDataplaneRejectsOtherValuesWithTheirPlace) {
  model::Config c = read("global_defs {\n  keel_dataplane lvs\n}\n");
  EXPECT_EQ(c.global.dataplane, model::DataplaneKind::Auto);
  EXPECT_EQ(diags_.renderAll(),
            "keepalived.conf:2:18: error: keel_dataplane must be auto, xdp, ipvs or proxy, not "
            "'lvs'\n"
            "      keel_dataplane lvs\n"
            "                     ^\n");
}

TEST_F(BinderTest, KeelProxyClientPrefixSetsBothFamilies) {
  EXPECT_EQ(model::Config{}.global.proxy_client_prefix4, 32);
  EXPECT_EQ(model::Config{}.global.proxy_client_prefix6, 64);
  model::Config c = read("global_defs {\n  keel_proxy_client_prefix 24 56\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_EQ(c.global.proxy_client_prefix4, 24);
  EXPECT_EQ(c.global.proxy_client_prefix6, 56);
}

TEST_F(BinderTest, KeelProxyClientPrefixRejectsALengthBeyondTheFamily) {
  model::Config c = read("global_defs {\n  keel_proxy_client_prefix 24 129\n}\n");
  EXPECT_EQ(c.global.proxy_client_prefix6, 64);
  EXPECT_EQ(diags_.errors(), 1u);
  EXPECT_NE(diags_.renderAll().find("keepalived.conf:2:31: error:"), std::string::npos)
      << diags_.renderAll();
  read("global_defs {\n  keel_proxy_client_prefix 24\n}\n");
  EXPECT_EQ(diags_.errors(), 2u) << diags_.renderAll();
}

TEST_F(BinderTest, MetricsListenIsAKeelExtension) {
  model::Config c = read("global_defs {\n keel_metrics_listen 127.0.0.1:9100\n}\n");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_EQ(c.global.keel_metrics_listen, "127.0.0.1:9100");
  model::Config bad = read("global_defs {\n keel_metrics_listen 9100\n}\n");
  EXPECT_EQ(bad.global.keel_metrics_listen, "");
  EXPECT_EQ(messages(),
            std::vector<std::string>{
                "keel_metrics_listen needs ADDRESS:PORT (an IPv6 address in brackets)"});
}

TEST_F(BinderTest, VrrpThreadSettings) {
  model::Config c = read(
      "global_defs {\n vrrp_rt_priority 50\n vrrp_cpu_affinity 0 1\n vrrp_no_swap\n"
      " vrrp_rlimit_rtime 20000\n}\n");
  EXPECT_EQ(diags_.errors() + diags_.warnings(), 0u) << diags_.renderAll();
  EXPECT_EQ(c.global.vrrp_rt_priority, 50);
  EXPECT_EQ(c.global.vrrp_cpu_affinity, (std::vector<int>{0, 1}));
  EXPECT_TRUE(c.global.vrrp_no_swap);
  EXPECT_EQ(c.global.vrrp_rlimit_rttime, 20000u);
  EXPECT_EQ(read("global_defs {\n vrrp_rt_priority 0\n}\n").global.vrrp_rt_priority, 0);
  model::Config bad = read("global_defs {\n vrrp_rt_priority 100\n vrrp_cpu_affinity 0 x\n}\n");
  EXPECT_FALSE(bad.global.vrrp_rt_priority);
  EXPECT_EQ(bad.global.vrrp_cpu_affinity, (std::vector<int>{0}));
  EXPECT_EQ(diags_.errors(), 2u) << diags_.renderAll();
}

}  // namespace
}  // namespace keel::conf

namespace keel::conf {
namespace {

// Every refused form of keyword_table.h, through the binder: an error at the form with its reason.
TEST(RefusedFormTest, EachFormIsAnErrorWithItsReason) {
  const std::string vs = "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n";
  const std::string vi = "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n";
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      {"auth_type", "AH", vi + " authentication {\n  auth_type AH\n }\n}\n", "5:13"},
      {"virtual_server", "fwmark", "virtual_server fwmark 1 {\n}\n", "1:16"},
      {"virtual_server_group", "fwmark", "virtual_server_group G {\n fwmark 1\n}\n", "2:2"},
      {"protocol", "SCTP", "virtual_server 10.0.0.1 80 {\n protocol SCTP\n}\n", "2:11"},
      {"lb_kind", "TUN options", vs + " lb_kind TUN type gre\n}\n", "5:14"},
      {"sorry_server_lvs_method", "TUN options",
       vs + " sorry_server 10.0.0.9 80\n sorry_server_lvs_method TUN nocsum\n}\n", "6:30"},
      {"virtual_ipaddress", "brd",
       vi + " virtual_ipaddress {\n  10.0.0.9/24 brd 10.0.0.255\n }\n}\n", "5:15"},
      {"virtual_ipaddress", "scope", vi + " virtual_ipaddress {\n  10.0.0.9 scope link\n }\n}\n",
       "5:12"},
      {"virtual_ipaddress", "peer", vi + " virtual_ipaddress {\n  10.0.0.9 peer 10.0.0.8\n }\n}\n",
       "5:12"},
      {"virtual_ipaddress", "address flags",
       vi + " virtual_ipaddress {\n  10.0.0.9 noprefixroute\n }\n}\n", "5:12"},
      {"virtual_ipaddress", "use_vmac", vi + " virtual_ipaddress {\n  10.0.0.9 use_vmac\n }\n}\n",
       "5:12"},
      {"unicast_peer", "min_ttl/max_ttl", vi + " unicast_peer {\n  10.0.0.8 min_ttl 2\n }\n}\n",
       "5:12"},
      {"vrrp_strict / strict_mode", "without accept", vi + " strict_mode\n}\n", "4:2"},
      {"vrrp_strict / strict_mode", "without accept",
       "global_defs {\n vrrp_strict\n}\n" + vi + "}\n", "2:2"},
      {"uthreshold / lthreshold", "with the XDP data plane",
       vs + " real_server 10.0.0.2 80 {\n  uthreshold 100\n }\n}\n", "6:3"},
      {"lvs_sync_daemon", "without keel_dataplane ipvs",
       "global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n", "2:2"},
      {"lvs_timeouts", "without keel_dataplane ipvs", "global_defs {\n lvs_timeouts tcp 60\n}\n",
       "2:2"},
  };
  for (const auto& [keyword, form, text, where] : cases) {
    Diagnostics diags;
    (void)readConfigText("k.conf", text, {}, diags);
    const RefusedForm& f = refusedForm(keyword, form);
    ASSERT_EQ(f.form, form) << keyword << " " << form << " is not in the table";
    std::string want = "'" + keyword + " " + form + "' is refused: " + std::string(f.reason);
    bool found = false;
    for (const Diagnostic& d : diags.all()) {
      found |= d.message == want && fmt::format("{}:{}", d.where.line, d.where.col) == where;
    }
    EXPECT_TRUE(found) << keyword << " " << form << "\n" << diags.renderAll();
  }
}

TEST(RefusedFormTest, AcceptedCombinationsAreNotRefused) {
  Diagnostics diags;
  (void)readConfigText("k.conf",
                       "global_defs {\n vrrp_strict\n keel_dataplane proxy\n}\n"
                       "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n accept\n"
                       " virtual_ipaddress {\n  10.0.0.9/24 dev lo label lo:1 no_track\n }\n}\n"
                       "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n"
                       " real_server 10.0.0.2 80 {\n  uthreshold 100\n }\n}\n",
                       {}, diags);
  EXPECT_EQ(diags.errors(), 0u) << diags.renderAll();
  (void)readConfigText(
      "k.conf",
      "global_defs {\n keel_dataplane ipvs\n lvs_timeouts tcp 60\n}\n"
      "virtual_server_group G {\n fwmark 1\n}\n"
      "virtual_server group G {\n lb_algo rr\n lb_kind TUN type gre csum\n protocol TCP\n"
      " real_server 10.0.0.2 80 {\n  uthreshold 100\n }\n}\n",
      {}, diags);
  EXPECT_EQ(diags.errors(), 0u) << diags.renderAll();
}

// persistence_granularity is IPVS's: a netmask for IPv4, a prefix length for IPv6.
TEST(RefusedFormTest, PersistenceGranularityIsANetmaskOrAPrefixLength) {
  auto read = [](const std::string& key, const std::string& value, Diagnostics& diags) {
    return readConfigText("k.conf",
                          "virtual_server " + key +
                              " 80 {\n lb_algo rr\n lb_kind NAT\n"
                              " protocol TCP\n persistence_timeout 60\n persistence_granularity " +
                              value + "\n}\n",
                          {}, diags);
  };
  Diagnostics ok;
  auto v4 = read("10.0.0.1", "255.255.255.0", ok);
  auto v6 = read("2001:db8::1", "64", ok);
  EXPECT_EQ(ok.errors(), 0u) << ok.renderAll();
  EXPECT_EQ(v4.virtual_servers[0].persistence_granularity->length(), 24);
  EXPECT_EQ(v6.virtual_servers[0].persistence_granularity->length(), 64);
  for (auto [key, value] : {std::pair{"10.0.0.1", "24"}, std::pair{"10.0.0.1", "255.0.255.0"},
                            std::pair{"2001:db8::1", "255.255.255.0"}}) {
    Diagnostics bad;
    (void)read(key, value, bad);
    EXPECT_EQ(bad.errors(), 1u) << key << " " << value;
    EXPECT_EQ(bad.all()[0].where.line, 6);
  }
}

TEST(RefusedFormTest, SorryServerTakesItsOwnForwardingMethod) {
  Diagnostics diags;
  auto c = readConfigText("k.conf",
                          "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n"
                          " protocol TCP\n sorry_server 10.0.0.9 80\n"
                          " sorry_server_lvs_method DR\n}\n",
                          {}, diags);
  EXPECT_EQ(diags.errors(), 0u) << diags.renderAll();
  EXPECT_EQ(c.virtual_servers[0].sorry_server->forwarding, model::Forwarding::Dr);
}

}  // namespace
}  // namespace keel::conf
