// Between the desired ServiceTable and the kernel's IPVS table (docs/dataplane.md, "The IPVS
// data plane"): a Service becomes an IPVS service (scheduler, flags, persistence timeout and
// netmask) with one destination per real (forwarding method, weight, thresholds); identities and
// counters come back the other way; the global lvs_* settings become IPVS's. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/ipvs_types.h"
#include "lb/service_table.h"
#include "model/config.h"

namespace keel::dataplane::ipvs {

// A desired service as IPVS holds it; its dests in the Service's order.
struct DesiredService {
  IpvsServiceKey key;
  IpvsServiceConfig config;
  std::vector<IpvsDestConfig> dests;
};

IpvsServiceKey ipvsKey(const lb::ServiceKey& key);
lb::ServiceKey serviceKey(const IpvsServiceKey& key);
lb::RealKey realKey(const IpvsDestConfig& dest);

DesiredService toIpvs(const lb::Service& service);

// The scheduler flag bits of keepalived's names (sh-port, sh-fallback, mh-port, mh-fallback,
// flag-1..3); and back, named as ipvsadm names them for `scheduler`, in bit order.
std::uint32_t schedulerFlagBits(const std::vector<std::string>& names);
std::vector<std::string> schedulerFlagNames(const std::string& scheduler, std::uint32_t flags);

// The persistence netmask IPVS wants for a prefix length (0: the whole address).
std::uint32_t netmaskOf(bool v6, std::uint8_t prefix);

// lvs_timeouts as IPVS takes them (0 leaves a timeout as it is).
IpvsTimeouts timeoutsOf(const model::LvsTimeouts& timeouts);

// The sync daemon lvs_sync_daemon asks for when VRRP instance `instance` becomes MASTER
// (`master`) or leaves MASTER: master or backup, with the instance's virtual_router_id as the
// sync id unless the configuration names one. nullopt when lvs_sync_daemon names another
// instance or is not configured.
std::optional<SyncDaemon> syncDaemonFor(const model::Config& config, const std::string& instance,
                                        bool master);

Counters counters(const IpvsStats& stats);
lb::Forwarding forwarding(std::uint32_t ipvs_forwarding);
std::uint32_t ipvsForwarding(lb::Forwarding f);

}  // namespace keel::dataplane::ipvs
