#include "ctl/config_json.h"

#include <gtest/gtest.h>

namespace keel::ctl {
namespace {

TEST(ConfigJsonTest, CarriesTheModelsValues) {
  model::Config c;
  c.global.router_id = "LVS_MASTER";
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.state = model::InitialState::Master;
  vi.virtual_router_id = 1;
  vi.auth_type = model::AuthType::Pass;
  vi.notify.master.argv = {"/x.sh", "del"};
  c.vrrp_instances.push_back(vi);
  model::VirtualServer vs;
  vs.key = model::VsAddress{*base::IpAddress::parse("198.18.0.100"), 80};
  vs.scheduler = "rr";
  vs.forwarding = model::Forwarding::Dr;
  vs.persistence_timeout = std::chrono::seconds(50);
  model::RealServer rs;
  rs.address = *base::IpAddress::parse("198.18.0.21");
  rs.port = 80;
  model::Checker http;
  http.kind = model::HttpCheck{.urls = {{"/index.html", "", {}, ""}}};
  rs.checkers.push_back(http);
  vs.real_servers.push_back(rs);
  c.virtual_servers.push_back(vs);

  auto j = toJson(c);
  EXPECT_EQ(j["global_defs"]["router_id"], "LVS_MASTER");
  EXPECT_EQ(j["vrrp_instance"][0]["state"], "MASTER");
  EXPECT_EQ(j["vrrp_instance"][0]["auth_type"], "PASS");
  EXPECT_EQ(j["vrrp_instance"][0]["notify_master"]["argv"][1], "del");
  EXPECT_EQ(j["virtual_server"][0]["virtual_server"], "198.18.0.100:80/TCP");
  EXPECT_EQ(j["virtual_server"][0]["lb_kind"], "DR");
  EXPECT_EQ(j["virtual_server"][0]["persistence_timeout"], 50.0);
  EXPECT_EQ(j["virtual_server"][0]["real_servers"][0]["checkers"][0]["type"], "HTTP_GET");
  EXPECT_EQ(j["virtual_server"][0]["real_servers"][0]["checkers"][0]["url"][0]["path"],
            "/index.html");
}

TEST(ConfigJsonTest, InvalidUtf8IsReplacedNotThrown) {
  model::Config c;
  c.vrrp_instances.emplace_back();
  c.vrrp_instances.back().name = "VI_\xff";
  c.vrrp_instances.back().notify.master.argv = {"/etc/k\xc3/x.sh"};
  const std::string text = dumpJson(toJson(c), 2);
  EXPECT_NE(text.find("\"VI_\xef\xbf\xbd\""), std::string::npos) << text;
  EXPECT_NE(text.find("/etc/k\xef\xbf\xbd/x.sh"), std::string::npos) << text;
  EXPECT_EQ(dumpJson(nlohmann::ordered_json{{"a", "\xff"}}), "{\"a\":\"\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace keel::ctl
