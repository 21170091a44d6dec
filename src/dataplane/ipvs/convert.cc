#include "dataplane/ipvs/convert.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace keel::dataplane::ipvs {

namespace {

std::uint16_t ipProtocol(Protocol p) {
  switch (p) {
    case Protocol::Udp:
      return IPPROTO_UDP;
    case Protocol::Sctp:
      return IPPROTO_SCTP;
    case Protocol::Tcp:
      break;
  }
  return IPPROTO_TCP;
}

Protocol protocolOf(std::uint16_t p) {
  if (p == IPPROTO_UDP) return Protocol::Udp;
  if (p == IPPROTO_SCTP) return Protocol::Sctp;
  return Protocol::Tcp;
}

IpvsDestConfig destOf(const Real& real) {
  IpvsDestConfig d;
  d.address = real.key.address;
  d.port = real.key.port;
  d.forwarding = ipvsForwarding(real.forwarding);
  d.weight = static_cast<std::uint32_t>(real.weight < 0 ? 0 : real.weight);
  d.upper_threshold = real.upper_threshold;
  d.lower_threshold = real.lower_threshold;
  if (real.forwarding == Forwarding::Tun) {
    d.tun_type = real.tunnel.type == dataplane::TunnelType::Gue   ? TunnelType::Gue
                 : real.tunnel.type == dataplane::TunnelType::Gre ? TunnelType::Gre
                                                                  : TunnelType::Ipip;
    d.tun_port = real.tunnel.port;
    d.tun_flags = static_cast<std::uint16_t>((real.tunnel.csum ? kTunCsum : 0) |
                                             (real.tunnel.remcsum ? kTunRemCsum : 0));
  }
  return d;
}

}  // namespace

IpvsServiceKey ipvsKey(const ServiceKey& key) {
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

ServiceKey serviceKey(const IpvsServiceKey& key) {
  ServiceKey k;
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

RealKey realKey(const IpvsDestConfig& dest) { return {dest.address, dest.port}; }

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

DesiredService toIpvs(const Service& service) {
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
  for (const Real& r : service.reals) d.dests.push_back(destOf(r));
  return d;
}

Counters counters(const IpvsStats& s) {
  return {s.conns, s.in_packets, s.in_bytes, s.out_packets, s.out_bytes};
}

Forwarding forwarding(std::uint32_t ipvs_forwarding) {
  if (ipvs_forwarding == kFwdRoute) return Forwarding::Dr;
  if (ipvs_forwarding == kFwdTunnel) return Forwarding::Tun;
  return Forwarding::Nat;
}

std::uint32_t ipvsForwarding(Forwarding f) {
  switch (f) {
    case Forwarding::Dr:
      return kFwdRoute;
    case Forwarding::Tun:
      return kFwdTunnel;
    case Forwarding::Nat:
      break;
  }
  return kFwdMasq;
}

}  // namespace keel::dataplane::ipvs
