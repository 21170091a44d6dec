#include "dataplane/proxy/client_limits.h"

#include <algorithm>

namespace keel::dataplane::proxy {

ClientLimits::ClientLimits(std::size_t max_tcp, std::size_t max_udp, int prefix_v4, int prefix_v6)
    : max_tcp_(max_tcp),
      max_udp_(max_udp),
      prefix_v4_(std::clamp(prefix_v4, 0, 32)),
      prefix_v6_(std::clamp(prefix_v6, 0, 128)) {}

base::IpAddress ClientLimits::clientOf(const base::IpAddress& client) const {
  auto prefix = base::Prefix::make(client, client.isV4() ? prefix_v4_ : prefix_v6_);
  return prefix ? prefix->network().address() : client;
}

bool ClientLimits::acquire(lb::Protocol protocol, const base::IpAddress& client) {
  const std::size_t max = protocol == lb::Protocol::Udp ? max_udp_ : max_tcp_;
  const Key key{protocol, clientOf(client)};
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    if (max == 0) return false;
    counts_.emplace(key, 1);
    return true;
  }
  if (it->second >= max) return false;
  ++it->second;
  return true;
}

void ClientLimits::release(lb::Protocol protocol, const base::IpAddress& client) {
  const Key key{protocol, clientOf(client)};
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

}  // namespace keel::dataplane::proxy
