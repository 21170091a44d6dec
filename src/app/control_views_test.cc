#include "app/control_views.h"

#include <gtest/gtest.h>

namespace keel::app {
namespace {

// One RuntimeView (state_dump.h) as collectView takes it from the engines.
RuntimeView sampleView() {
  vrrp::EngineStatus status;
  vrrp::InstanceStatus i;
  i.name = "VI_1";
  i.state = vrrp::State::Master;
  i.interface = "eth0";
  i.vrid = 51;
  i.priority = 150;
  i.effective_priority = 140;
  i.master = "198.18.0.2";
  i.counters.adverts_sent = 42;
  i.counters.transitions = 3;
  status.instances.push_back(i);
  RuntimeView v = collectView(std::make_shared<const model::Config>(), &status, nullptr);
  check::RealServerStatus rs;
  rs.id = {model::VirtualServerId::ofFwmark(7), *base::IpAddress::parse("2001:db8::11"), 80};
  rs.alive = true;
  v.reals.push_back(rs);
  return v;
}

TEST(ControlViewsTest, KeelctlVrrpAndChecksRenderTheView) {
  const RuntimeView view = sampleView();
  const auto instances = vrrpJson(view.vrrp);
  ASSERT_EQ(instances.size(), 1U);
  EXPECT_EQ(instances[0]["state"], "MASTER");
  EXPECT_EQ(instances[0]["master"], "198.18.0.2");
  EXPECT_EQ(instances[0]["adverts_sent"], 42);
  EXPECT_NE(vrrpText(instances, true).find("adverts sent 42 received 0"), std::string::npos);
  const auto reals = checksJson(view.reals);
  EXPECT_EQ(reals[0]["virtual_server"], "fwmark 7");
  EXPECT_EQ(reals[0]["real_server"], "[2001:db8::11]:80");
  EXPECT_EQ(checksText(reals), "fwmark 7 -> [2001:db8::11]:80: UP [no checkers]\n");
}

TEST(ControlViewsTest, MetricsRenderTheSameView) {
  ctl::MetricsText m;
  const RuntimeView view = sampleView();
  addVrrpMetrics(view, m);
  addCheckMetrics(view, m);
  const std::string text = m.str();
  for (const char* line :
       {"keel_vrrp_state{instance=\"VI_1\"} 2\n",
        "keel_vrrp_adverts_sent_total{instance=\"VI_1\"} 42\n",
        "keel_vrrp_transitions_total{instance=\"VI_1\"} 3\n",
        "keel_check_up{virtual_server=\"fwmark 7\",real_server=\"[2001:db8::11]:80\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace keel::app
