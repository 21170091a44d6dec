#include "lb/service_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/identity.h"

namespace keel::lb {

namespace {

std::string hostPort(const base::IpAddress& address, std::uint16_t port) {
  return model::endpointStr(address, port);
}

template <typename T, typename K>
const T* findSorted(const std::vector<T>& items, const K& key) {
  auto it = std::lower_bound(items.begin(), items.end(), key,
                             [](const T& item, const K& k) { return item.key < k; });
  return it != items.end() && it->key == key ? &*it : nullptr;
}

}  // namespace

std::string_view forwardingName(Forwarding f) {
  switch (f) {
    case Forwarding::Nat:
      return "Masq";
    case Forwarding::Dr:
      return "Route";
    case Forwarding::Tun:
      return "Tunnel";
  }
  return "?";
}

std::string ServiceKey::str() const {
  if (isFwmark()) return fmt::format("FWM {} {}", fwmark, address.isV6() ? "IPv6" : "IPv4");
  return fmt::format("{} {}", base::ipProtocolName(protocol), hostPort(address, port));
}

std::string RealKey::str() const { return hostPort(address, port); }

const Real* Service::find(const RealKey& key) const { return findSorted(reals, key); }

ServiceTable ServiceTable::of(std::vector<Service> services) {
  std::stable_sort(services.begin(), services.end(),
                   [](const Service& a, const Service& b) { return a.key < b.key; });
  ServiceTable table;
  for (Service& s : services) {
    if (!table.services.empty() && table.services.back()->key == s.key) continue;
    table.services.push_back(std::make_shared<const Service>(std::move(s)));
  }
  return table;
}

const Service* ServiceTable::find(const ServiceKey& key) const {
  auto it = std::lower_bound(services.begin(), services.end(), key,
                             [](const ServicePtr& s, const ServiceKey& k) { return s->key < k; });
  return it != services.end() && (*it)->key == key ? it->get() : nullptr;
}

bool operator==(const ServiceTable& a, const ServiceTable& b) {
  return std::equal(a.services.begin(), a.services.end(), b.services.begin(), b.services.end(),
                    [](const ServicePtr& x, const ServicePtr& y) { return x == y || *x == *y; });
}

}  // namespace keel::lb
