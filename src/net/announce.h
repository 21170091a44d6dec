// Announcing that an address moved here: gratuitous ARP for IPv4 (RFC 5227 §3, as an ARP
// request whose sender and target are the address) and unsolicited Neighbor Advertisement for
// IPv6 (RFC 4861 §7.2.6: to ff02::1, Override set, with the target link-layer option). The
// frame builders are pure; PacketSocket sends whole Ethernet frames on one interface.
// Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "net/sockets.h"

namespace keel::net {

using Mac = std::array<std::uint8_t, 6>;

// REQUIRES: address.isV4(). A 42-byte Ethernet frame to ff:ff:ff:ff:ff:ff.
std::vector<std::uint8_t> gratuitousArp(const Mac& mac, const base::IpAddress& address);

// REQUIRES: address.isV6(). An Ethernet frame to 33:33:00:00:00:01 carrying an IPv6 packet from
// `source` (a link-local address of the interface; RFC 4861 §7.2.2) to ff02::1, hop limit 255,
// with the ICMPv6 checksum filled in.
std::vector<std::uint8_t> unsolicitedNa(const Mac& mac, const base::IpAddress& source,
                                        const base::IpAddress& address);

class PacketSocket final : public FrameSocket {
 public:
  // An AF_PACKET socket bound to `ifindex`. Errors: System (EPERM without CAP_NET_RAW).
  static base::Result<PacketSocket> open(int ifindex);
  base::Status send(std::span<const std::uint8_t> frame) override;
  int fd() const { return fd_.get(); }

 private:
  PacketSocket(base::UniqueFd fd, int ifindex) : fd_(std::move(fd)), ifindex_(ifindex) {}
  base::UniqueFd fd_;
  int ifindex_;
};

}  // namespace keel::net
