#include "model/validate.h"

#include <gtest/gtest.h>

namespace keel::model {
namespace {

VrrpInstance instance(std::string name, std::string iface, int vrid, std::string vip) {
  VrrpInstance vi;
  vi.name = std::move(name);
  vi.interface = std::move(iface);
  vi.virtual_router_id = vrid;
  vi.virtual_ipaddress.push_back({*base::Prefix::parse(vip), std::nullopt, {}, {}, {}, false});
  return vi;
}

std::vector<std::string> messages(const Config& c) {
  std::vector<std::string> out;
  for (const Problem& p : validate(c)) out.push_back((p.error ? "E " : "W ") + p.message);
  return out;
}

TEST(ValidateTest, CleanConfigHasNoProblems) {
  Config c;
  c.vrrp_instances.push_back(instance("VI_1", "eth0", 1, "198.18.0.100/24"));
  c.vrrp_instances.push_back(instance("VI_2", "eth0", 2, "198.18.0.101/24"));
  c.vrrp_instances.push_back(instance("VI_3", "eth1", 1, "198.18.1.100/24"));
  EXPECT_TRUE(validate(c).empty());
}

TEST(ValidateTest, ConflictsBetweenInstances) {
  Config c;
  c.vrrp_instances.push_back(instance("VI_1", "eth0", 1, "198.18.0.100/24"));
  c.vrrp_instances.push_back(instance("VI_2", "eth0", 1, "198.18.0.100/24"));
  c.vrrp_instances.push_back(instance("VI_2", "eth0", 3, "2001:db8::1/64"));
  c.vrrp_instances.back().version = 2;
  c.sync_groups.push_back({"G", {"VI_1", "VI_9"}, {}, {}, {}, {}, false});
  c.vrrp_instances[0].track_script.push_back({"chk", false, 0, false});
  EXPECT_EQ(messages(c), (std::vector<std::string>{
                             "E (VI_2) virtual_router_id 1 on eth0 is already used by VI_1",
                             "E (VI_2) virtual address 198.18.0.100/24 is also in VI_1",
                             "E vrrp_instance VI_2 is defined twice",
                             "E (VI_2) VRRP version 2 cannot carry IPv6 addresses; use version 3",
                             "E vrrp_sync_group G names unknown vrrp_instance VI_9",
                             "E (VI_1) track_script chk is not a vrrp_script"}));
}

// What each problem is about, for the config reader to name the statement at fault.
TEST(ValidateTest, ProblemsNameTheirSubject) {
  Config c;
  c.vrrp_instances.push_back(instance("VI_1", "eth0", 1, "198.18.0.100/24"));
  c.vrrp_instances.push_back(instance("VI_2", "eth0", 1, "2001:db8::1/64"));
  c.vrrp_instances.back().version = 2;
  c.vrrp_instances[0].track_file.push_back({"f", false, 0, false});
  std::vector<Subject> subjects;
  for (const Problem& p : validate(c)) subjects.push_back(p.subject);
  EXPECT_EQ(subjects,
            (std::vector<Subject>{{"vrrp_instance", "VI_2", "virtual_ipaddress", "2001:db8::1/64"},
                                  {"vrrp_instance", "VI_1", "track_file", "f"}}));
}

TEST(ValidateTest, VirtualServers) {
  Config c;
  VirtualServer vs;
  vs.key = VsAddress{*base::IpAddress::parse("198.18.0.100"), 80};
  c.virtual_servers.push_back(vs);
  c.virtual_servers.push_back(vs);
  VirtualServer g;
  g.key = VsGroup{"web"};
  g.real_servers.push_back({});
  c.virtual_servers.push_back(g);
  EXPECT_EQ(messages(c),
            (std::vector<std::string>{"W virtual_server 198.18.0.100:80/TCP has no real servers",
                                      "E virtual_server 198.18.0.100:80/TCP is defined twice",
                                      "W virtual_server 198.18.0.100:80/TCP has no real servers",
                                      "E virtual_server group web is not a virtual_server_group"}));
}

TEST(ValidateTest, ProxyDataplaneRefusesDirectRoutingNamingTheService) {
  Config c;
  VirtualServer vs;
  vs.key = VsAddress{base::IpAddress::v4(0x7f000001), 8080};
  vs.forwarding = Forwarding::Dr;
  vs.real_servers.push_back(RealServer{});
  c.virtual_servers.push_back(vs);
  EXPECT_TRUE(messages(c).empty());  // auto: XDP may serve it
  c.global.dataplane = DataplaneKind::Proxy;
  EXPECT_EQ(messages(c), std::vector<std::string>{
                             "E virtual_server 127.0.0.1:8080/TCP: lb_kind DR needs the XDP data "
                             "plane; keel_dataplane proxy forwards NAT only"});
  c.virtual_servers[0].forwarding = Forwarding::Nat;
  EXPECT_TRUE(messages(c).empty());
}

}  // namespace
}  // namespace keel::model
