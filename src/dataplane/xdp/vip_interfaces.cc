#include "dataplane/xdp/vip_interfaces.h"

#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "dataplane/xdp/map_plan.h"

namespace keel::dataplane::xdp {

namespace {

std::optional<VipInterface> byVrrp(const model::Config& config, const base::IpAddress& vip,
                                   net::Rtnetlink& nl) {
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded}) {
      for (const model::VirtualIp& v : *list) {
        if (v.address.address() != vip) continue;
        const std::string& dev = v.dev.empty() ? vi.interface : v.dev;
        auto link = nl.link(dev);
        if (!link) continue;
        return VipInterface{link->index, dev,
                            fmt::format("VRRP instance {} holds {}", vi.name, vip.str()),
                            link->mac};
      }
    }
  }
  return std::nullopt;
}

std::optional<VipInterface> bySubnet(const base::IpAddress& vip,
                                     const std::vector<net::AddressEntry>& addresses,
                                     const std::vector<net::Link>& links) {
  for (const net::AddressEntry& a : addresses) {
    if (a.prefix.length() == a.prefix.address().maxPrefixLength()) continue;  // a host address
    if (!a.prefix.network().contains(vip)) continue;
    for (const net::Link& l : links) {
      if (l.index == a.index && !l.loopback) {
        return VipInterface{l.index, l.name, fmt::format("subnet {}", a.prefix.network().str()),
                            l.mac};
      }
    }
  }
  return std::nullopt;
}

std::optional<VipInterface> byRoute(const base::IpAddress& vip, net::Rtnetlink& nl,
                                    const std::vector<net::Link>& links) {
  auto hop = nl.route(vip);
  if (!hop || hop->local) return std::nullopt;
  for (const net::Link& l : links) {
    if (l.index == hop->index && !l.loopback) {
      return VipInterface{l.index, l.name, fmt::format("the route to {}", vip.str()), l.mac};
    }
  }
  return std::nullopt;
}

}  // namespace

keel_config tunnelConfig(const std::vector<VipInterface>& interfaces, const lb::ServiceTable& table,
                         net::Rtnetlink& nl) {
  keel_config c = defaultConfig();
  auto addresses = nl.addresses(AF_UNSPEC);
  if (!addresses) return c;
  std::set<base::IpAddress> vips;
  for (const lb::ServicePtr& s : table.services) vips.insert(s->key.address);
  bool have4 = false;
  bool have6 = false;
  for (const VipInterface& i : interfaces) {
    for (const net::AddressEntry& a : *addresses) {
      const base::IpAddress& addr = a.prefix.address();
      if (a.index != i.index || vips.count(addr) != 0 || addr.isLinkLocal()) continue;
      if (addr.isV4() && !have4) {
        std::copy(addr.bytes().begin(), addr.bytes().end(), c.tun_src_v4);
        have4 = true;
      } else if (addr.isV6() && !have6) {
        std::copy(addr.bytes().begin(), addr.bytes().end(), c.tun_src_v6);
        have6 = true;
      }
    }
  }
  return c;
}

std::vector<VipInterface> vipInterfaces(const model::Config& config, const lb::ServiceTable& table,
                                        net::Rtnetlink& nl) {
  auto links = nl.links();
  auto addresses = nl.addresses(AF_UNSPEC);
  if (!links || !addresses) {
    base::logError("Cannot read the interfaces: {}",
                   (!links ? links.error() : addresses.error()).str());
    return {};
  }
  std::vector<VipInterface> out;
  std::set<int> seen;
  std::set<base::IpAddress> vips;
  for (const lb::ServicePtr& s : table.services) {
    if (!s->key.isFwmark()) vips.insert(s->key.address);
  }
  for (const base::IpAddress& vip : vips) {
    auto found = byVrrp(config, vip, nl);
    if (!found) found = bySubnet(vip, *addresses, *links);
    if (!found) found = byRoute(vip, nl, *links);
    if (!found) {
      base::logWarning("No interface carries VIP {}; XDP does not see its traffic", vip.str());
      continue;
    }
    if (seen.insert(found->index).second) out.push_back(std::move(*found));
  }
  return out;
}

}  // namespace keel::dataplane::xdp
