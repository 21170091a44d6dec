#include "dataplane/ipvs/convert.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace keel::dataplane::ipvs {

namespace {

std::uint16_t ipProtocol(lb::Protocol p) {
  switch (p) {
    case lb::Protocol::Udp:
      return IPPROTO_UDP;
    case lb::Protocol::Sctp:
      return IPPROTO_SCTP;
    case lb::Protocol::Tcp:
      break;
  }
  return IPPROTO_TCP;
}

lb::Protocol protocolOf(std::uint16_t p) {
  if (p == IPPROTO_UDP) return lb::Protocol::Udp;
  if (p == IPPROTO_SCTP) return lb::Protocol::Sctp;
  return lb::Protocol::Tcp;
}

IpvsDestConfig destOf(const lb::Real& real) {
  IpvsDestConfig d;
  d.address = real.key.address;
  d.port = real.key.port;
  d.forwarding = ipvsForwarding(real.forwarding);
  d.weight = static_cast<std::uint32_t>(real.weight < 0 ? 0 : real.weight);
  d.upper_threshold = real.upper_threshold;
  d.lower_threshold = real.lower_threshold;
  if (real.forwarding == lb::Forwarding::Tun) {
    d.tun_type = real.tunnel.type == lb::TunnelType::Gue   ? TunnelType::Gue
                 : real.tunnel.type == lb::TunnelType::Gre ? TunnelType::Gre
                                                           : TunnelType::Ipip;
    d.tun_port = real.tunnel.port;
    d.tun_flags = static_cast<std::uint16_t>((real.tunnel.csum ? kTunCsum : 0) |
                                             (real.tunnel.remcsum ? kTunRemCsum : 0));
  }
  return d;
}

}  // namespace

IpvsServiceKey ipvsKey(const lb::ServiceKey& key) {
  IpvsServiceKey k;
  k.af = static_cast<std::uint16_t>(key.address.family());
  if (key.isFwmark()) {
    k.fwmark = key.fwmark;
    k.address = key.address.isV6() ? base::IpAddress::fromV6Bytes({}) : base::IpAddress{};
    return k;
  }
  k.protocol = ipProtocol(key.protocol);
  k.address = key.address;
  k.port = key.port;
  return k;
}

lb::ServiceKey serviceKey(const IpvsServiceKey& key) {
  lb::ServiceKey k;
  if (key.fwmark != 0) {
    k.address = key.af == AF_INET6 ? base::IpAddress::fromV6Bytes({}) : base::IpAddress{};
    k.fwmark = key.fwmark;
    return k;
  }
  k.address = key.address;
  k.port = key.port;
  k.protocol = protocolOf(key.protocol);
  return k;
}

lb::RealKey realKey(const IpvsDestConfig& dest) { return {dest.address, dest.port}; }

std::uint32_t schedulerFlagBits(const std::vector<std::string>& names) {
  std::uint32_t bits = 0;
  for (const std::string& n : names) {
    if (n == "sh-fallback" || n == "mh-fallback" || n == "flag-1") bits |= kFlagSched1;
    if (n == "sh-port" || n == "mh-port" || n == "flag-2") bits |= kFlagSched2;
    if (n == "flag-3") bits |= kFlagSched3;
  }
  return bits;
}

std::vector<std::string> schedulerFlagNames(const std::string& scheduler, std::uint32_t flags) {
  std::vector<std::string> names;
  const bool hashing = scheduler == "sh" || scheduler == "mh";
  if ((flags & kFlagSched1) != 0) names.push_back(hashing ? scheduler + "-fallback" : "flag-1");
  if ((flags & kFlagSched2) != 0) names.push_back(hashing ? scheduler + "-port" : "flag-2");
  if ((flags & kFlagSched3) != 0) names.emplace_back("flag-3");
  return names;
}

std::uint32_t netmaskOf(bool v6, std::uint8_t prefix) {
  if (v6) return prefix == 0 || prefix > 128 ? 128 : prefix;
  if (prefix == 0 || prefix >= 32) return 0xffffffffU;
  return htonl(~std::uint32_t{0} << (32 - prefix));
}

DesiredService toIpvs(const lb::Service& service) {
  DesiredService d;
  d.key = ipvsKey(service.key);
  d.config.scheduler = service.scheduler;
  d.config.flags = schedulerFlagBits(service.scheduler_flags);
  if (service.persistent()) {
    d.config.flags |= kFlagPersistent;
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(service.persistence_timeout).count();
    d.config.timeout = static_cast<std::uint32_t>(secs < 1 ? 1 : secs);
  }
  if (service.one_packet) d.config.flags |= kFlagOnePacket;
  d.config.netmask = netmaskOf(service.key.address.isV6(), service.persistence_prefix);
  for (const lb::Real& r : service.reals) d.dests.push_back(destOf(r));
  return d;
}

IpvsTimeouts timeoutsOf(const model::LvsTimeouts& timeouts) {
  return {static_cast<std::uint32_t>(timeouts.tcp), static_cast<std::uint32_t>(timeouts.tcp_fin),
          static_cast<std::uint32_t>(timeouts.udp)};
}

std::optional<SyncDaemon> syncDaemonFor(const model::Config& config, const std::string& instance,
                                        bool master) {
  const auto& sync = config.global.lvs_sync_daemon;
  if (!sync || sync->instance != instance) return std::nullopt;
  SyncDaemon d;
  d.state = master ? kSyncMaster : kSyncBackup;
  d.interface = sync->interface;
  d.sync_id = static_cast<std::uint32_t>(sync->sync_id.value_or(0));
  if (!sync->sync_id) {
    for (const model::VrrpInstance& vi : config.vrrp_instances) {
      if (vi.name == instance) d.sync_id = static_cast<std::uint32_t>(vi.virtual_router_id);
    }
  }
  d.max_len = static_cast<std::uint16_t>(sync->max_len);
  d.port = static_cast<std::uint16_t>(sync->port);
  d.ttl = static_cast<std::uint8_t>(sync->ttl);
  d.group = sync->group;
  return d;
}

Counters counters(const IpvsStats& s) {
  return {s.conns, s.in_packets, s.in_bytes, s.out_packets, s.out_bytes};
}

lb::Forwarding forwarding(std::uint32_t ipvs_forwarding) {
  if (ipvs_forwarding == kFwdRoute) return lb::Forwarding::Dr;
  if (ipvs_forwarding == kFwdTunnel) return lb::Forwarding::Tun;
  return lb::Forwarding::Nat;
}

std::uint32_t ipvsForwarding(lb::Forwarding f) {
  switch (f) {
    case lb::Forwarding::Dr:
      return kFwdRoute;
    case lb::Forwarding::Tun:
      return kFwdTunnel;
    case lb::Forwarding::Nat:
      break;
  }
  return kFwdMasq;
}

}  // namespace keel::dataplane::ipvs
