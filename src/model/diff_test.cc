#include "model/diff.h"

#include <gtest/gtest.h>

namespace keel::model {
namespace {

Config base() {
  Config c;
  VrrpInstance vi;
  vi.name = "VI_1";
  vi.virtual_router_id = 1;
  c.vrrp_instances.push_back(vi);
  VirtualServer vs;
  vs.key = VsAddress{*base::IpAddress::parse("198.18.0.100"), 80};
  vs.scheduler = "rr";
  for (const char* ip : {"198.18.0.21", "198.18.0.22"}) {
    RealServer rs;
    rs.address = *base::IpAddress::parse(ip);
    rs.port = 80;
    vs.real_servers.push_back(rs);
  }
  c.virtual_servers.push_back(vs);
  return c;
}

TEST(DiffTest, IdenticalConfigsHaveNoChanges) { EXPECT_TRUE(diff(base(), base()).empty()); }

TEST(DiffTest, EachKindOfChangeIsKeyedByIdentity) {
  Config after = base();
  after.vrrp_instances[0].priority = 150;
  VrrpInstance vi2;
  vi2.name = "VI_2";
  after.vrrp_instances.push_back(vi2);
  after.virtual_servers[0].real_servers[1].weight = 5;
  RealServer rs3;
  rs3.address = *base::IpAddress::parse("198.18.0.23");
  rs3.port = 80;
  after.virtual_servers[0].real_servers.erase(after.virtual_servers[0].real_servers.begin());
  after.virtual_servers[0].real_servers.push_back(rs3);

  ConfigDiff d = diff(base(), after);
  EXPECT_FALSE(d.global_changed);
  EXPECT_EQ(d.vrrp_instances,
            (std::vector<Change>{{ChangeKind::Changed, "VI_1"}, {ChangeKind::Added, "VI_2"}}));
  EXPECT_TRUE(d.virtual_servers.empty());  // only its real servers changed
  EXPECT_EQ(d.real_servers,
            (std::vector<Change>{{ChangeKind::Removed, "198.18.0.100:80/TCP -> 198.18.0.21:80"},
                                 {ChangeKind::Changed, "198.18.0.100:80/TCP -> 198.18.0.22:80"},
                                 {ChangeKind::Added, "198.18.0.100:80/TCP -> 198.18.0.23:80"}}));
}

TEST(DiffTest, ServiceSettingsAndRemovalAndGlobals) {
  Config after = base();
  after.virtual_servers[0].scheduler = "wlc";
  after.global.router_id = "other";
  ConfigDiff d = diff(base(), after);
  EXPECT_TRUE(d.global_changed);
  EXPECT_EQ(d.virtual_servers, (std::vector<Change>{{ChangeKind::Changed, "198.18.0.100:80/TCP"}}));
  EXPECT_TRUE(d.real_servers.empty());

  Config gone = base();
  gone.virtual_servers.clear();
  d = diff(base(), gone);
  EXPECT_EQ(d.virtual_servers, (std::vector<Change>{{ChangeKind::Removed, "198.18.0.100:80/TCP"}}));
  EXPECT_EQ(d.real_servers.size(), 2u);
  EXPECT_EQ(d.real_servers[0].kind, ChangeKind::Removed);
}

// The protocol is part of a virtual server's identity: the same VIP:port under UDP is another
// virtual server, and its reals are other reals (their checker state does not carry over).
TEST(DiffTest, AnotherProtocolIsAnotherVirtualServer) {
  Config after = base();
  after.virtual_servers[0].protocol = base::IpProtocol::Udp;
  after.virtual_servers[0].real_servers.pop_back();
  ConfigDiff d = diff(base(), after);
  EXPECT_EQ(d.virtual_servers, (std::vector<Change>{{ChangeKind::Removed, "198.18.0.100:80/TCP"},
                                                    {ChangeKind::Added, "198.18.0.100:80/UDP"}}));
  EXPECT_EQ(d.real_servers,
            (std::vector<Change>{{ChangeKind::Removed, "198.18.0.100:80/TCP -> 198.18.0.21:80"},
                                 {ChangeKind::Removed, "198.18.0.100:80/TCP -> 198.18.0.22:80"},
                                 {ChangeKind::Added, "198.18.0.100:80/UDP -> 198.18.0.21:80"}}));
}

}  // namespace
}  // namespace keel::model
