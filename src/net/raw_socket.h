// A raw IP socket for one protocol on one interface — VRRP's (IP protocol 112) adverts, sent
// with TTL / hop limit 255 (RFC 5798 §5.1.1.3, §5.1.2.3) and received with the metadata the
// receive checks need (source, destination, TTL). Non-blocking; the owner watches fd() in its
// event loop. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::net {

struct RawPacket {
  // IPv4: the whole datagram from its IP header on. IPv6: the payload only (the kernel strips
  // the header); the hop limit and destination come from ancillary data.
  std::vector<std::uint8_t> bytes;
  base::IpAddress source;
  base::IpAddress destination;
  int ttl = -1;  // IPv6 hop limit; for IPv4 read it from the header in `bytes`
};

struct RawSocketOptions {
  int protocol = 112;
  std::string interface;  // bound with SO_BINDTODEVICE
  int ifindex = 0;
  base::IpAddress source;  // the sending address (set on each datagram); its family is the socket's
  // IPv6 only: the offset of the checksum in the payload, which the kernel then fills on send
  // and verifies on receive (RFC 3542 IPV6_CHECKSUM). Negative: none.
  int ipv6_checksum_offset = -1;
};

class RawSocket {
 public:
  // Errors: System (e.g. EPERM without CAP_NET_RAW).
  static base::Result<RawSocket> open(const RawSocketOptions& options);

  // Joins / leaves a multicast group on the socket's interface.
  base::Status join(const base::IpAddress& group);
  base::Status leave(const base::IpAddress& group);

  // Sends `payload` to `destination`; the kernel adds the IP header (TOS 0xc0 for IPv4).
  base::Status send(std::span<const std::uint8_t> payload, const base::IpAddress& destination);

  // The next datagram, nullopt when none is waiting. Datagrams larger than 64 KiB are cut
  // (the receive checks then see a length mismatch).
  base::Result<std::optional<RawPacket>> receive();

  int fd() const { return fd_.get(); }

 private:
  RawSocket(base::UniqueFd fd, RawSocketOptions options)
      : fd_(std::move(fd)), options_(std::move(options)) {}

  base::UniqueFd fd_;
  RawSocketOptions options_;
};

}  // namespace keel::net
