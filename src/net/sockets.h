// The sockets a VRRP instance sends and receives on, as interfaces, and the factory that opens
// them with netlink: the engine's one OS seam (docs/design.md §2). `systemSockets()` opens the
// kernel's (RawSocket, PacketSocket, Rtnetlink); `FakeNet` (fake_net.h) simulates a host in
// memory for unit tests. Every socket belongs to the thread that opened it; systemSockets()
// itself may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/netlink.h"

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

// Raw IP datagrams of one protocol on one interface (RawSocket).
class IpSocket {
 public:
  virtual ~IpSocket() = default;

  // Joins / leaves a multicast group on the socket's interface.
  virtual base::Status join(const base::IpAddress& group) = 0;
  virtual base::Status leave(const base::IpAddress& group) = 0;
  // Sends `payload` to `destination`; the kernel adds the IP header.
  virtual base::Status send(std::span<const std::uint8_t> payload,
                            const base::IpAddress& destination) = 0;
  // The next datagram, nullopt when none is waiting.
  virtual base::Result<std::optional<RawPacket>> receive() = 0;
  // Readable (EPOLLIN) while datagrams wait.
  virtual int fd() const = 0;
};

// Whole Ethernet frames out of one interface (PacketSocket): gratuitous ARP and NA.
class FrameSocket {
 public:
  virtual ~FrameSocket() = default;
  virtual base::Status send(std::span<const std::uint8_t> frame) = 0;
};

class Sockets {
 public:
  virtual ~Sockets() = default;
  // A Netlink with link and address events.
  virtual base::Result<std::unique_ptr<Netlink>> openNetlink() = 0;
  virtual base::Result<std::unique_ptr<IpSocket>> openIp(const RawSocketOptions& options) = 0;
  virtual base::Result<std::unique_ptr<FrameSocket>> openFrames(int ifindex) = 0;
};

// The kernel's sockets. Errors as RawSocket::open, PacketSocket::open and Rtnetlink::open.
Sockets& systemSockets();

}  // namespace keel::net
