// For tests of the OS shells in net/: move the test process into a fresh network namespace of
// its own (root only), so it can add addresses and send packets without touching the host.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::net {

// GTEST_SKIPs the calling test when not root; the namespace lasts as long as the process.
#define KEEL_REQUIRE_OWN_NETNS()                                                \
  do {                                                                          \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace"; \
    static const bool keel_netns_ok = ::unshare(CLONE_NEWNET) == 0;             \
    ASSERT_TRUE(keel_netns_ok) << "unshare(CLONE_NEWNET) failed";               \
  } while (0)

// A second, named namespace `keel-<what>-<pid>` for the far end of a veth (the kernel does not
// answer ARP between two interfaces of one namespace); deleted when this goes out of scope.
class PeerNamespace {
 public:
  explicit PeerNamespace(const std::string& what)
      : name_("keel-" + what + "-" + std::to_string(::getpid())) {}
  ~PeerNamespace() { (void)std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
  PeerNamespace(const PeerNamespace&) = delete;
  PeerNamespace& operator=(const PeerNamespace&) = delete;
  const std::string& name() const { return name_; }

  // Creates the namespace, and veth `here` (in the calling namespace) <-> `there` (in it),
  // with the given addresses (CIDR; IPv6 ones are added with nodad), both ends up.
  void wire(const std::string& here, const std::string& there,
            const std::vector<std::string>& here_addrs,
            const std::vector<std::string>& there_addrs) const {
    std::vector<std::string> cmds = {
        "ip netns add " + name_,
        "ip link add " + here + " type veth peer name " + there + " netns " + name_,
        "ip link set lo up", "ip link set " + here + " up",
        "ip -n " + name_ + " link set " + there + " up"};
    for (const std::string& a : here_addrs) {
      cmds.push_back("ip addr add " + a + " dev " + here + nodad(a));
    }
    for (const std::string& a : there_addrs) {
      cmds.push_back("ip -n " + name_ + " addr add " + a + " dev " + there + nodad(a));
    }
    for (const std::string& cmd : cmds) ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

 private:
  static std::string nodad(const std::string& addr) {
    return addr.find(':') != std::string::npos ? " nodad" : "";
  }
  std::string name_;
};

}  // namespace keel::net
