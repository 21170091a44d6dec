// What every proxy worker shares besides the services: the limits, the count of open flows (TCP
// connections and UDP sessions), the per-client budgets and the named counters. Owned by
// ProxyDataplane, outlives its workers. Threads: atomics any thread; ClientLimits has its own
// mutex, taken once when a flow opens and once when it closes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "dataplane/proxy/client_limits.h"
#include "dataplane/proxy/limits.h"
#include "dataplane/proxy/service_state.h"

namespace keel::dataplane::proxy {

// Named counters (Dataplane::counters()), in this order.
enum class Counter : std::uint8_t {
  DropNoReal,          // no real server takes new connections
  DropLimit,           // max_flows or max_conns_per_service reached
  DropClientLimit,     // max_conns_per_client reached (TCP)
  DropFdExhausted,     // no descriptor or memory for a flow; the listener pauses
  DropUdpSessions,     // max_udp_sessions reached
  DropUdpClientLimit,  // max_udp_sessions_per_client reached
  ConnectFailed,       // a connect to a real was refused or failed
  ConnectTimeout,      // a connect to a real took longer than connect_timeout
  ConnectRetried,      // a connection retried on the next real
  IdleTimeout,         // closed after idle_timeout without a byte
  RealRemoved,         // closed because its real left the service
  ListenFailed,        // a listening socket could not be opened
  Count
};
std::string_view counterName(Counter c);

struct Shared {
  explicit Shared(Limits l)
      : limits(l),
        clients(l.max_conns_per_client, l.max_udp_sessions_per_client, l.client_prefix_v4,
                l.client_prefix_v6) {}
  const Limits limits;
  ClientLimits clients;
  std::atomic<std::int64_t> flows{0};  // open TCP connections and UDP sessions, all workers

  void count(Counter c) { counters[static_cast<int>(c)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t value(Counter c) const { return counters[static_cast<int>(c)].load(); }
  // Takes one of the max_flows slots; false when they are all taken.
  bool acquireFlow() {
    if (flows.fetch_add(1) >= static_cast<std::int64_t>(limits.max_flows)) {
      --flows;
      return false;
    }
    return true;
  }
  void releaseFlow() { --flows; }

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<int>(Counter::Count)> counters{};
};

// What apply() publishes to the workers: immutable once published.
struct Snapshot {
  struct Entry {
    lb::ServicePtr service;
    ServiceStatePtr state;
  };
  std::vector<Entry> services;  // address services only (fwmark needs the kernel's marks)
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace keel::dataplane::proxy
