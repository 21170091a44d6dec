#include "model/scripts.h"

#include <gtest/gtest.h>

namespace keel::model {
namespace {

Script script(std::string path, std::string user = {}) {
  Script s;
  s.argv = {std::move(path)};
  s.user = std::move(user);
  return s;
}

TEST(ScriptsTest, ListsEveryConfiguredScriptInOrder) {
  Config c;
  c.vrrp_scripts.push_back({});
  c.vrrp_scripts.back().name = "chk";
  c.vrrp_scripts.back().script = script("/bin/chk");
  c.vrrp_instances.push_back({});
  c.vrrp_instances.back().name = "VI_1";
  c.vrrp_instances.back().notify.master = script("/bin/m");
  c.vrrp_instances.back().notify.any = script("/bin/n");
  VirtualServer vs;
  vs.key = VsAddress{*base::IpAddress::parse("198.18.0.100"), 80};
  RealServer rs;
  rs.address = *base::IpAddress::parse("198.18.0.1");
  rs.port = 80;
  rs.notify_down = script("/bin/down");
  Checker misc;
  misc.kind = MiscCheck{script("/bin/misc"), std::nullopt, false};
  rs.checkers.push_back(misc);
  rs.checkers.push_back(Checker{});  // an HTTP_GET has no script
  vs.real_servers.push_back(rs);
  c.virtual_servers.push_back(vs);

  std::vector<std::string> got;
  for (const ScriptUse& use : scriptsOf(c)) got.push_back(use.where + " " + use.script->argv[0]);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "vrrp_script chk /bin/chk",
                     "(VI_1) notify_master /bin/m",
                     "(VI_1) notify /bin/n",
                     "[198.18.0.100:80/TCP] real_server 198.18.0.1:80 notify_down /bin/down",
                     "[198.18.0.100:80/TCP] real_server 198.18.0.1:80 misc_path /bin/misc",
                 }));
}

TEST(ScriptsTest, EffectiveUserPrefersTheScriptThenGlobalThenFallback) {
  GlobalDefs g;
  EXPECT_EQ(effectiveUser(script("/x", "alice"), g, "root"), "alice");
  EXPECT_EQ(effectiveUser(script("/x"), g, "root"), "root");
  g.script_user.user = "bob";
  EXPECT_EQ(effectiveUser(script("/x"), g, "root"), "bob");
  EXPECT_EQ(effectiveUser(script("/x", "alice"), g, "root"), "alice");
}

}  // namespace
}  // namespace keel::model
