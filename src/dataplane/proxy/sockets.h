// Socket helpers of the proxy workers: the SO_REUSEPORT listening sockets (IP_FREEBIND for a VIP
// not on the host), non-blocking connects, and the peer address of a received flow. Addresses go
// to and from sockaddr through base::Endpoint. Thin wrappers over the socket calls; any thread.
#pragma once

#include <sys/socket.h>

#include <cerrno>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "lb/service_table.h"

namespace keel::dataplane::proxy {

// A non-blocking socket bound to `key`'s address and port with SO_REUSEPORT, listening (TCP).
base::Result<base::UniqueFd> openListener(const lb::ServiceKey& key);

// A non-blocking socket of `real`'s family with a connect to it started. `*in_progress` says
// the connect completes later (EPOLLOUT, then SO_ERROR).
base::Result<base::UniqueFd> startConnect(const lb::RealKey& real, lb::Protocol protocol,
                                          bool* in_progress);

// The peer accept4() or recvfrom() filled in (`len` bytes of `sa`); an error for a family
// other than IPv4/IPv6.
inline base::Result<base::Endpoint> peerOf(const sockaddr_storage& sa, socklen_t len) {
  return base::Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&sa), len);
}

// Whether `err` (an errno) means this process or the system is out of descriptors or memory: a
// listener then pauses instead of trying again at once.
inline bool outOfDescriptors(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace keel::dataplane::proxy
