#include "dataplane/ipvs/plan.h"

#include <sys/socket.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace keel::dataplane::ipvs {

namespace {

using DestKey = std::pair<base::IpAddress, std::uint16_t>;

DestKey destKey(const IpvsDestConfig& d) { return {d.address, d.port}; }

// What the kernel reports for a field keel does not set: a non-tunnel destination keeps the
// tunnel fields the kernel stored, so they are left out of the comparison.
bool sameDest(const IpvsDestConfig& have, const IpvsDestConfig& want) {
  IpvsDestConfig a = have;
  IpvsDestConfig b = want;
  if (a.forwarding != kFwdTunnel || b.forwarding != kFwdTunnel) {
    a.tun_type = b.tun_type = TunnelType::Ipip;
    a.tun_port = b.tun_port = 0;
    a.tun_flags = b.tun_flags = 0;
  }
  return a == b;
}

void planDests(const IpvsServiceKey& key, const std::vector<IpvsDest>& have,
               const std::vector<IpvsDestConfig>& want, std::vector<Op>& ops) {
  std::map<DestKey, const IpvsDestConfig*> wanted;
  for (const IpvsDestConfig& d : want) wanted.emplace(destKey(d), &d);
  std::map<DestKey, const IpvsDestConfig*> held;
  for (const IpvsDest& d : have) {
    held.emplace(destKey(d.config), &d.config);
    if (wanted.count(destKey(d.config)) == 0) ops.push_back(DelDest{key, d.config});
  }
  for (const IpvsDestConfig& d : want) {
    auto it = held.find(destKey(d));
    if (it == held.end()) {
      ops.push_back(NewDest{key, d});
    } else if (!sameDest(*it->second, d)) {
      ops.push_back(SetDest{key, d});
    }
  }
}

std::string destName(const IpvsDestConfig& d) {
  return d.address.isV6() ? fmt::format("[{}]:{}", d.address.str(), d.port)
                          : fmt::format("{}:{}", d.address.str(), d.port);
}

std::string_view fwdName(std::uint32_t f) {
  return f == kFwdRoute ? "Route" : f == kFwdTunnel ? "Tunnel" : "Masq";
}

}  // namespace

Plan plan(const std::vector<IpvsService>& kernel, const std::vector<DesiredService>& desired,
          const std::set<IpvsServiceKey>& owned) {
  Plan p;
  std::map<IpvsServiceKey, const DesiredService*> wanted;
  for (const DesiredService& d : desired) wanted.emplace(d.key, &d);
  std::map<IpvsServiceKey, const IpvsService*> held;
  for (const IpvsService& s : kernel) {
    held.emplace(s.key, &s);
    if (wanted.count(s.key) != 0) continue;
    if (owned.count(s.key) != 0) {
      p.ops.push_back(DelService{s.key});
    } else {
      p.foreign.push_back(s.key);
    }
  }
  for (const DesiredService& d : desired) {
    auto it = held.find(d.key);
    if (it == held.end()) {
      p.ops.push_back(NewService{d.key, d.config});
      planDests(d.key, {}, d.dests, p.ops);
      continue;
    }
    if (it->second->config != d.config) p.ops.push_back(SetService{d.key, d.config});
    planDests(d.key, it->second->dests, d.dests, p.ops);
  }
  return p;
}

std::string describe(const IpvsServiceKey& key) {
  const char* family = key.af == AF_INET6 ? "IPv6" : "IPv4";
  if (key.fwmark != 0) return fmt::format("FWM {} {}", key.fwmark, family);
  const char* proto = key.protocol == 17 ? "UDP" : key.protocol == 132 ? "SCTP" : "TCP";
  return key.af == AF_INET6 ? fmt::format("{} [{}]:{}", proto, key.address.str(), key.port)
                            : fmt::format("{} {}:{}", proto, key.address.str(), key.port);
}

std::string describe(const Op& op) {
  struct {
    std::string operator()(const NewService& o) {
      return fmt::format("add service {} {}", describe(o.key), o.config.scheduler);
    }
    std::string operator()(const SetService& o) {
      return fmt::format("set service {} {}", describe(o.key), o.config.scheduler);
    }
    std::string operator()(const DelService& o) {
      return fmt::format("delete service {}", describe(o.key));
    }
    std::string operator()(const NewDest& o) {
      return fmt::format("add dest {} -> {} {} w{}", describe(o.service), destName(o.dest),
                         fwdName(o.dest.forwarding), o.dest.weight);
    }
    std::string operator()(const SetDest& o) {
      return fmt::format("set dest {} -> {} {} w{}", describe(o.service), destName(o.dest),
                         fwdName(o.dest.forwarding), o.dest.weight);
    }
    std::string operator()(const DelDest& o) {
      return fmt::format("delete dest {} -> {}", describe(o.service), destName(o.dest));
    }
  } visitor;
  return std::visit(visitor, op);
}

}  // namespace keel::dataplane::ipvs
