#include "dataplane/service_table.h"

#include <algorithm>

#include <fmt/format.h>

namespace keel::dataplane {

namespace {

std::string hostPort(const base::IpAddress& address, std::uint16_t port) {
  return address.isV6() ? fmt::format("[{}]:{}", address.str(), port)
                        : fmt::format("{}:{}", address.str(), port);
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

const Service* ServiceTable::find(const ServiceKey& key) const { return findSorted(services, key); }

}  // namespace keel::dataplane
