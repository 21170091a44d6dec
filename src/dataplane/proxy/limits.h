// The proxy data plane's limits (docs/dataplane.md, "Limits"). Constants, chosen for a small
// director; one place so the docs can name them. Read-only; any thread.
#pragma once

#include <chrono>
#include <cstddef>

namespace keel::dataplane::proxy {

struct Limits {
  std::size_t max_conns = 20000;              // TCP connections, all services, all workers
  std::size_t max_conns_per_service = 10000;  // per virtual service
  std::size_t max_conns_per_client = 256;     // per client address, all services
  std::size_t max_udp_sessions = 10000;       // per worker
  std::chrono::seconds idle_timeout{300};     // no byte either way: closed
  std::chrono::seconds connect_timeout{3};    // per connect attempt to a real server
  std::chrono::seconds udp_idle_timeout{30};  // a UDP session with no datagram either way
  std::size_t buffer_bytes = 64 * 1024;       // per direction per connection
  int connect_attempts = 2;                   // the first real, then the next one once
};

}  // namespace keel::dataplane::proxy
