#include "app/state_dump.h"

#include <gtest/gtest.h>

#include "vrrp/status.h"

namespace keel::app {
namespace {

RuntimeView sampleView() {
  RuntimeView v;
  v.config_file = "/etc/keepalived/keepalived.conf";
  v.instance = "east";
  v.summary = "1 VRRP instance(s)";
  v.vrrp.push_back({"VI_1", "MASTER", 150, 140, "eth0", 51, {"198.18.0.100/32"}, 2});
  check::RealServerStatus rs;
  rs.id = {model::VirtualServerId::ofAddress(*base::IpAddress::parse("198.18.0.100"), 80,
                                             base::IpProtocol::Tcp),
           *base::IpAddress::parse("198.18.0.11"), 80};
  rs.alive = false;
  rs.checkers.push_back({"TCP_CHECK", true, false, true, false, 0, "connection refused"});
  v.reals.push_back(rs);
  lb::Service s;
  s.key = {*base::IpAddress::parse("198.18.0.100"), 80, lb::Protocol::Tcp, 0};
  s.scheduler = "rr";
  s.reals.push_back({{*base::IpAddress::parse("198.18.0.12"), 80}, 3});
  v.table = std::make_shared<const lb::ServiceTable>(lb::ServiceTable::of({std::move(s)}));
  return v;
}

TEST(StateDumpTest, DataTextNamesEveryInstanceRealAndTableEntry) {
  const std::string text = dataText(sampleView());
  for (const char* part :
       {"Configuration file: /etc/keepalived/keepalived.conf", "Instance: east",
        "Configuration: 1 VRRP instance(s)\n",
        " VRRP Instance VI_1\n   State: MASTER\n   Interface: eth0\n   Virtual router id: 51\n"
        "   Priority: 150 (effective 140)\n   Transitions: 2\n   Virtual IP: 198.18.0.100/32\n",
        " RS 198.18.0.100:80/TCP 198.18.0.11:80 alive=no\n   TCP_CHECK DOWN (connection refused)\n",
        " TCP 198.18.0.100:80 rr\n   -> 198.18.0.12:80 weight 3\n"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\nin:\n" << text;
  }
}

TEST(StateDumpTest, JsonHoldsStatesWeightsAndAlive) {
  const auto j = dataJson(sampleView());
  EXPECT_EQ(j["vrrp"][0]["name"], "VI_1");
  EXPECT_EQ(j["vrrp"][0]["state"], "MASTER");
  EXPECT_EQ(j["vrrp"][0]["effective_priority"], 140);
  EXPECT_EQ(j["real_servers"][0]["alive"], false);
  EXPECT_EQ(j["virtual_servers"][0]["service"], "TCP 198.18.0.100:80");
  EXPECT_EQ(j["virtual_servers"][0]["reals"][0]["real"], "198.18.0.12:80");
  EXPECT_EQ(j["virtual_servers"][0]["reals"][0]["weight"], 3);
  EXPECT_TRUE(dataJson(RuntimeView{})["vrrp"].empty());
}

TEST(StateDumpTest, ThreadDumpNamesTheLoopsHoldingsAndEveryChild) {
  event::LoopSnapshot loop;
  loop.watched_fds = 7;
  loop.timers = 3;
  loop.next_timer = std::chrono::milliseconds(250);
  loop.signals = 8;
  loop.posted = 1;
  loop.stats.callback_exceptions = 2;
  const std::string text =
      threadDumpText(loop, {{4242, "/etc/keel/notify.sh", std::chrono::seconds(2)}});
  EXPECT_EQ(text,
            "Thread dump:\n"
            "  Event loop: 7 fd(s) watched, 8 signal(s) handled, 1 posted job(s)\n"
            "  Timers: 3 pending, next in 250 ms\n"
            "  Callback exceptions: 2, fatal: 0\n"
            "  Children: 1 running\n"
            "    pid 4242 /etc/keel/notify.sh for 2000 ms\n");
  EXPECT_NE(loopStatsText(loop.stats).find("Callback exceptions: 2"), std::string::npos);
}

// VRRP comes from the status snapshot the VRRP thread publishes, fault reason included.
TEST(StateDumpTest, VrrpIsReadFromTheStatusSnapshot) {
  vrrp::EngineStatus status;
  vrrp::InstanceStatus i;
  i.name = "VI_2";
  i.state = vrrp::State::Fault;
  i.interface = "eth9";
  i.vrid = 52;
  i.priority = 100;
  i.effective_priority = 100;
  i.vips = {*base::Prefix::parse("198.18.9.100/24")};
  i.fault = "interface eth9 not found";
  i.counters.transitions = 1;
  status.instances.push_back(i);
  const RuntimeView view = collectView(std::make_shared<const model::Config>(), &status, nullptr);
  ASSERT_EQ(view.vrrp.size(), 1u);
  EXPECT_EQ(view.vrrp[0].state, "FAULT");
  EXPECT_EQ(view.vrrp[0].vips, std::vector<std::string>{"198.18.9.100/24"});
  EXPECT_NE(dataText(view).find("   Fault: interface eth9 not found\n"), std::string::npos);
  EXPECT_EQ(dataJson(view)["vrrp"][0]["fault"], "interface eth9 not found");
}

}  // namespace
}  // namespace keel::app
