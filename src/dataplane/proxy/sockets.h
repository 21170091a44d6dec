// Socket helpers of the proxy workers: addresses to and from sockaddr, the SO_REUSEPORT
// listening sockets (IP_FREEBIND for a VIP not on the host), non-blocking connects. Thin
// wrappers over the socket calls; any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "lb/service_table.h"

namespace keel::dataplane::proxy {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SockAddr toSockAddr(const base::IpAddress& address, std::uint16_t port);
// The address and port of `sa`; 0.0.0.0:0 for a family other than AF_INET/AF_INET6.
std::pair<base::IpAddress, std::uint16_t> fromSockAddr(const sockaddr_storage& sa);

// A non-blocking socket bound to `key`'s address and port with SO_REUSEPORT, listening (TCP).
base::Result<base::UniqueFd> openListener(const lb::ServiceKey& key);

// A non-blocking socket of `real`'s family with a connect to it started. `*in_progress` says
// the connect completes later (EPOLLOUT, then SO_ERROR).
base::Result<base::UniqueFd> startConnect(const lb::RealKey& real, lb::Protocol protocol,
                                          bool* in_progress);

}  // namespace keel::dataplane::proxy
