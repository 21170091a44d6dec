// Between the desired ServiceTable and the kernel's IPVS table (docs/dataplane.md, "The IPVS
// data plane"): a Service becomes an IPVS service (scheduler, flags, persistence timeout and
// netmask) with one destination per real (forwarding method, weight, thresholds); identities and
// counters come back the other way. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/ipvs_types.h"
#include "dataplane/service_table.h"

namespace keel::dataplane::ipvs {

// A desired service as IPVS holds it; its dests in the Service's order.
struct DesiredService {
  IpvsServiceKey key;
  IpvsServiceConfig config;
  std::vector<IpvsDestConfig> dests;
};

IpvsServiceKey ipvsKey(const ServiceKey& key);
ServiceKey serviceKey(const IpvsServiceKey& key);
RealKey realKey(const IpvsDestConfig& dest);

DesiredService toIpvs(const Service& service);

// The scheduler flag bits of keepalived's names (sh-port, sh-fallback, mh-port, mh-fallback,
// flag-1..3); and back, named as ipvsadm names them for `scheduler`, in bit order.
std::uint32_t schedulerFlagBits(const std::vector<std::string>& names);
std::vector<std::string> schedulerFlagNames(const std::string& scheduler, std::uint32_t flags);

// The persistence netmask IPVS wants for a prefix length (0: the whole address).
std::uint32_t netmaskOf(bool v6, std::uint8_t prefix);

Counters counters(const IpvsStats& stats);
Forwarding forwarding(std::uint32_t ipvs_forwarding);
std::uint32_t ipvsForwarding(Forwarding f);

}  // namespace keel::dataplane::ipvs
