// What the VRRP engine knows of the host: its links and addresses, read once from netlink and
// kept current from netlink's events, so that instances find their interface, source address and
// the interface's subnets without asking the kernel on their hot path. Owned by vrrp::Engine;
// the VRRP thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/netlink.h"

namespace keel::vrrp {

class HostView {
 public:
  // Replaces what is known with a fresh dump (at start, and when events were lost).
  base::Status read(net::Netlink& netlink);
  // Follows one link or address event.
  void apply(const net::NetEvent& event);

  const net::Link* link(const std::string& name) const;  // null when there is none
  bool linkUp(const std::string& name) const;            // present, up and running
  // The prefixes (address/length) configured on interface `index`.
  std::vector<base::Prefix> prefixes(int index) const;
  // Every address of the host, on any interface.
  std::vector<base::IpAddress> localAddresses() const;
  bool isLocal(const base::IpAddress& address) const;
  // The addresses of the family on interface `index` in the kernel's order (primary first); for
  // IPv6 only the link-local ones.
  std::vector<base::IpAddress> sourceCandidates(int index, bool v6) const;

 private:
  std::map<int, net::Link> links_;  // by index
  std::vector<net::AddressEntry> addresses_;
};

}  // namespace keel::vrrp
