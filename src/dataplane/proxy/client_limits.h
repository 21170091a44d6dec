// The proxy's per-client budgets (docs/dataplane.md, "Limits"): TCP connections and UDP sessions
// counted per client prefix (/32 and /64 by default), so one IPv6 host, which owns a /64, cannot
// open unlimited flows by rotating source addresses. Owned by Shared; any worker thread: one
// mutex, taken when a flow opens and when it closes, never per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "base/address.h"
#include "lb/service_table.h"

namespace keel::dataplane::proxy {

class ClientLimits {
 public:
  // `prefix_v4`/`prefix_v6`: the prefix lengths that name one client (clamped to 0..32/0..128).
  ClientLimits(std::size_t max_tcp, std::size_t max_udp, int prefix_v4, int prefix_v6);

  // The prefix `client` counts under: its address with the host bits cleared.
  base::IpAddress clientOf(const base::IpAddress& client) const;

  // Takes one of the client's `protocol` slots; false when it holds its maximum already.
  bool acquire(lb::Protocol protocol, const base::IpAddress& client);
  void release(lb::Protocol protocol, const base::IpAddress& client);

 private:
  using Key = std::pair<lb::Protocol, base::IpAddress>;
  const std::size_t max_tcp_;
  const std::size_t max_udp_;
  const int prefix_v4_;
  const int prefix_v6_;
  std::mutex mu_;
  std::map<Key, std::uint32_t> counts_;  // GUARDED_BY(mu_); no zero entries
};

}  // namespace keel::dataplane::proxy
