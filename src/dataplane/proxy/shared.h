// What every proxy worker shares besides the services: the limits, the total of live TCP
// connections, the per-client connection counts and the named counters. Owned by
// ProxyDataplane, outlives its workers. Threads: atomics any thread; `clients_` under `mu_`,
// taken once when a connection opens and once when it closes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "dataplane/proxy/limits.h"
#include "dataplane/proxy/service_state.h"

namespace keel::dataplane::proxy {

// Named counters (Dataplane::counters()), in this order.
enum class Counter : std::uint8_t {
  DropNoReal,       // no real server takes new connections
  DropLimit,        // max_conns or max_conns_per_service reached
  DropClientLimit,  // max_conns_per_client reached
  DropFdExhausted,  // accept() failed for lack of fds or memory; the listener pauses
  DropUdpSessions,  // max_udp_sessions reached
  ConnectFailed,    // a connect to a real was refused or failed
  ConnectTimeout,   // a connect to a real took longer than connect_timeout
  ConnectRetried,   // a connection retried on the next real
  IdleTimeout,      // closed after idle_timeout without a byte
  RealRemoved,      // closed because its real left the service
  ListenFailed,     // a listening socket could not be opened
  Count
};
std::string_view counterName(Counter c);

struct Shared {
  explicit Shared(Limits l) : limits(l) {}
  const Limits limits;
  std::atomic<std::int64_t> live{0};  // open TCP connections, all workers

  void count(Counter c) { counters[static_cast<int>(c)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t value(Counter c) const { return counters[static_cast<int>(c)].load(); }
  // Takes one of `client`'s connection slots; false when it has max_conns_per_client.
  bool acquireClient(const base::IpAddress& client);
  void releaseClient(const base::IpAddress& client);

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<int>(Counter::Count)> counters{};
  std::mutex mu_;
  std::map<base::IpAddress, std::uint32_t> clients_;  // GUARDED_BY(mu_)
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
