// Which virtual addresses this director may forward now (docs/dataplane.md, "Who forwards a
// VIP"): a VIP that a VRRP instance holds is this director's only while one of its instances is
// MASTER; every other address (no VRRP instance names it, or keeld runs without VRRP) always is.
// Pure; the daemon computes it on the control-plane loop after each VRRP transition and reload
// and tells the data plane (Dataplane::setStandbyAddresses).
#pragma once

#include <set>
#include <string>

#include "base/address.h"
#include "model/config.h"

namespace keel::app {

// The addresses in some instance's virtual_ipaddress or virtual_ipaddress_excluded, none of whose
// instances is in `masters` (instance names).
std::set<base::IpAddress> standbyAddresses(const model::Config& config,
                                           const std::set<std::string>& masters);

}  // namespace keel::app
