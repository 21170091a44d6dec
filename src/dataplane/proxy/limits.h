// The proxy data plane's limits (docs/dataplane.md, "Limits"). Defaults chosen for a small
// director; app's factory sets the client prefixes from global_defs and the flow cap from the
// process's descriptor budget. One place so the docs can name them. Read-only; any thread.
#pragma once

#include <chrono>
#include <cstddef>

namespace keel::dataplane::proxy {

struct Limits {
  // TCP connections plus UDP sessions, all services, all workers. A TCP connection holds two
  // descriptors and a UDP session one, so a share of N descriptors allows N / 2 flows.
  std::size_t max_flows = 20000;
  std::size_t max_conns_per_service = 10000;      // TCP, per virtual service
  std::size_t max_conns_per_client = 256;         // TCP, per client prefix, all services
  std::size_t max_udp_sessions_per_client = 256;  // UDP, per client prefix, all services
  int client_prefix_v4 = 32;                // how much of a client's address names "one client"
  int client_prefix_v6 = 64;                // (keel_proxy_client_prefix); one /64 is one IPv6 host
  std::size_t max_udp_sessions = 10000;     // per worker
  std::chrono::seconds idle_timeout{300};   // no byte either way: closed
  std::chrono::seconds connect_timeout{3};  // per connect attempt to a real server
  std::chrono::seconds udp_idle_timeout{30};  // a UDP session with no datagram either way
  std::size_t buffer_bytes = 64 * 1024;       // per direction per connection
  int connect_attempts = 2;                   // the first real, then the next one once
};

}  // namespace keel::dataplane::proxy
