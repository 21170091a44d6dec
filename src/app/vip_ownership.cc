#include "app/vip_ownership.h"

namespace keel::app {

std::set<base::IpAddress> standbyAddresses(const model::Config& config,
                                           const std::set<std::string>& masters) {
  std::set<base::IpAddress> held;
  std::set<base::IpAddress> owned;
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    std::set<base::IpAddress>& into = masters.count(vi.name) != 0 ? owned : held;
    for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded}) {
      for (const model::VirtualIp& v : *list) into.insert(v.address.address());
    }
  }
  for (const base::IpAddress& a : owned) held.erase(a);
  return held;
}

}  // namespace keel::app
