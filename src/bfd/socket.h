// The BFD engine's UDP sockets (RFC 5881): one receiving socket per address family on port 3784
// that reports each datagram's TTL / hop limit, and one sending socket per session bound to its
// source address and a source port in 49152-65535, sending with TTL 255 (or the configured ttl).
// Non-blocking and close-on-exec. Functions only; the caller's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::bfd {

struct Datagram {
  std::size_t size = 0;    // bytes in the caller's buffer
  bool truncated = false;  // larger than the buffer (dropped by the caller)
  base::Endpoint source;
  std::optional<int> ttl;  // IP TTL or IPv6 hop limit, when the kernel said
};

// Errors: System when the socket cannot be made or bound (port in use, no such address).
base::Result<base::UniqueFd> openReceiver(const base::IpAddress& listen, std::uint16_t port);

// Binds `source` (unset: the family's wildcard) with a random free port in [49152, 65535].
// Errors: System (no free port, no such address).
base::Result<base::UniqueFd> openSender(int family, const std::optional<base::IpAddress>& source,
                                        int ttl, std::mt19937& rng);

// One datagram, or nullopt when none is waiting. Errors: System.
base::Result<std::optional<Datagram>> receiveOne(int fd, std::span<std::uint8_t> buffer);

// Errors: System (the kernel refused; EAGAIN included: BFD never queues a late packet).
base::Status sendTo(int fd, const base::Endpoint& to, std::span<const std::uint8_t> bytes);

}  // namespace keel::bfd
