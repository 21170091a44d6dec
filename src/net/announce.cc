#include "net/announce.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/checksum.h"

namespace keel::net {

namespace {

constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::uint8_t kNeighborAdvert = 136;
constexpr std::size_t kNaLength = 32;  // ICMPv6 header 4 + flags 4 + target 16 + option 8

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void putBytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void ethernet(std::vector<std::uint8_t>& out, const Mac& dst, const Mac& src, std::uint16_t type) {
  putBytes(out, dst);
  putBytes(out, src);
  put16(out, type);
}

}  // namespace

std::vector<std::uint8_t> gratuitousArp(const Mac& mac, const base::IpAddress& address) {
  std::vector<std::uint8_t> out;
  out.reserve(42);
  ethernet(out, Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac, kEtherArp);
  put16(out, 1);       // hardware: Ethernet
  put16(out, 0x0800);  // protocol: IPv4
  out.push_back(6);
  out.push_back(4);
  put16(out, 1);  // request
  putBytes(out, mac);
  putBytes(out, address.bytes());
  putBytes(out, Mac{});  // target hardware address: unknown
  putBytes(out, address.bytes());
  return out;
}

std::vector<std::uint8_t> unsolicitedNa(const Mac& mac, const base::IpAddress& source,
                                        const base::IpAddress& address) {
  static constexpr std::array<std::uint8_t, 16> kAllNodes = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                             0,    0,    0, 0, 0, 0, 0, 1};
  std::vector<std::uint8_t> icmp;
  icmp.reserve(kNaLength);
  icmp.push_back(kNeighborAdvert);
  icmp.push_back(0);
  put16(icmp, 0);        // checksum, below
  icmp.push_back(0x20);  // Override; not Router, not Solicited
  icmp.insert(icmp.end(), 3, 0);
  putBytes(icmp, address.bytes());
  icmp.push_back(2);  // option: target link-layer address
  icmp.push_back(1);  // length in units of 8 bytes
  putBytes(icmp, mac);
  base::Checksum sum;  // RFC 4443 §2.3: over the RFC 8200 §8.1 pseudo-header and the message
  sum.addPseudoHeader(source, base::IpAddress::fromV6Bytes(kAllNodes), kIcmpv6, icmp.size());
  sum.add(icmp);
  const std::uint16_t checksum = sum.finish();
  icmp[2] = static_cast<std::uint8_t>(checksum >> 8);
  icmp[3] = static_cast<std::uint8_t>(checksum & 0xff);

  std::vector<std::uint8_t> out;
  out.reserve(14 + 40 + icmp.size());
  ethernet(out, Mac{0x33, 0x33, 0, 0, 0, 1}, mac, kEtherIpv6);
  out.push_back(0x60);  // version 6, traffic class 0, flow label 0
  out.insert(out.end(), 3, 0);
  put16(out, static_cast<std::uint16_t>(icmp.size()));
  out.push_back(kIcmpv6);
  out.push_back(255);  // hop limit
  putBytes(out, source.bytes());
  putBytes(out, kAllNodes);
  putBytes(out, icmp);
  return out;
}

base::Result<PacketSocket> PacketSocket::open(int ifindex) {
  base::UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open a packet socket");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof(sll)) != 0) {
    return KEEL_SYS_ERROR(errno,
                          fmt::format("cannot bind a packet socket to interface {}", ifindex));
  }
  return PacketSocket(std::move(fd), ifindex);
}

base::Status PacketSocket::send(std::span<const std::uint8_t> frame) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex_;
  sll.sll_halen = 6;
  if (frame.size() >= 6) std::memcpy(sll.sll_addr, frame.data(), 6);
  const ssize_t n = ::sendto(fd_.get(), frame.data(), frame.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&sll), sizeof(sll));
  if (n < 0) return KEEL_SYS_ERROR(errno, "cannot send a frame");
  return base::ok();
}

}  // namespace keel::net
