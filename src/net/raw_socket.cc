#include "net/raw_socket.h"

#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace keel::net {

namespace {

constexpr int kTtl = 255;
constexpr int kTos = 0xc0;  // precedence "internetwork control", as VRRP speakers send
constexpr std::size_t kMaxDatagram = 65536;

base::Status setInt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot set {}", what));
  }
  return base::ok();
}

base::Status configureV4(int fd, const RawSocketOptions& o) {
  KEEL_TRY(setInt(fd, IPPROTO_IP, IP_TTL, kTtl, "IP_TTL"));
  KEEL_TRY(setInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, kTtl, "IP_MULTICAST_TTL"));
  KEEL_TRY(setInt(fd, IPPROTO_IP, IP_TOS, kTos, "IP_TOS"));
  KEEL_TRY(setInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP"));
  ip_mreqn mreq{};
  mreq.imr_ifindex = o.ifindex;
  std::memcpy(&mreq.imr_address, o.source.bytes().data(), 4);
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot set IP_MULTICAST_IF");
  }
  return base::ok();
}

base::Status configureV6(int fd, const RawSocketOptions& o) {
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kTtl, "IPV6_UNICAST_HOPS"));
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kTtl, "IPV6_MULTICAST_HOPS"));
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"));
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, o.ifindex, "IPV6_MULTICAST_IF"));
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"));
  KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"));
  if (o.ipv6_checksum_offset >= 0) {
    KEEL_TRY(setInt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, o.ipv6_checksum_offset, "IPV6_CHECKSUM"));
  }
  return base::ok();
}

base::IpAddress fromIn6(const in6_addr& a) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), a.s6_addr, 16);
  return base::IpAddress::fromV6Bytes(b);
}

// IPv6 ancillary data: hop limit and the destination address.
void readControl(msghdr& msg, RawPacket& out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      std::memcpy(&out.ttl, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      out.destination = fromIn6(info.ipi6_addr);
    }
  }
}

}  // namespace

base::Result<RawSocket> RawSocket::open(const RawSocketOptions& options) {
  const int family = options.source.family();
  base::UniqueFd fd(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, options.protocol));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open a raw socket");
  if (!options.interface.empty() &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, options.interface.c_str(),
                   static_cast<socklen_t>(options.interface.size())) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot bind to interface {}", options.interface));
  }
  KEEL_TRY(family == AF_INET ? configureV4(fd.get(), options) : configureV6(fd.get(), options));
  return RawSocket(std::move(fd), options);
}

base::Status RawSocket::join(const base::IpAddress& group) {
  if (group.isV4()) {
    ip_mreqn mreq{};
    std::memcpy(&mreq.imr_multiaddr, group.bytes().data(), 4);
    mreq.imr_ifindex = options_.ifindex;
    if (::setsockopt(fd_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      return KEEL_SYS_ERROR(errno, fmt::format("cannot join {}", group.str()));
    }
    return base::ok();
  }
  ipv6_mreq mreq{};
  std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes().data(), 16);
  mreq.ipv6mr_interface = static_cast<unsigned>(options_.ifindex);
  if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot join {}", group.str()));
  }
  return base::ok();
}

base::Status RawSocket::leave(const base::IpAddress& group) {
  int rc = 0;
  if (group.isV4()) {
    ip_mreqn mreq{};
    std::memcpy(&mreq.imr_multiaddr, group.bytes().data(), 4);
    mreq.imr_ifindex = options_.ifindex;
    rc = ::setsockopt(fd_.get(), IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq, sizeof(mreq));
  } else {
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes().data(), 16);
    mreq.ipv6mr_interface = static_cast<unsigned>(options_.ifindex);
    rc = ::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &mreq, sizeof(mreq));
  }
  if (rc != 0) return KEEL_SYS_ERROR(errno, fmt::format("cannot leave {}", group.str()));
  return base::ok();
}

// The source address is set per datagram (IP_PKTINFO / IPV6_PKTINFO) rather than by bind(): a
// raw socket bound to an address only receives datagrams sent to that address, and VRRP's go to
// the multicast group.
base::Status RawSocket::send(std::span<const std::uint8_t> payload,
                             const base::IpAddress& destination) {
  sockaddr_storage ss{};
  const socklen_t len = base::Endpoint(destination, 0).toSockaddr(ss);
  if (destination.isV6()) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_scope_id = options_.ifindex;
  iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  cmsghdr* c = reinterpret_cast<cmsghdr*>(control.data());
  if (options_.source.isV4()) {
    in_pktinfo info{};
    info.ipi_ifindex = options_.ifindex;
    std::memcpy(&info.ipi_spec_dst, options_.source.bytes().data(), 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    msg.msg_controllen = CMSG_SPACE(sizeof(info));
  } else {
    in6_pktinfo info{};
    info.ipi6_ifindex = static_cast<unsigned>(options_.ifindex);
    std::memcpy(&info.ipi6_addr, options_.source.bytes().data(), 16);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    msg.msg_controllen = CMSG_SPACE(sizeof(info));
  }
  if (::sendmsg(fd_.get(), &msg, MSG_DONTWAIT) < 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot send to {}", destination.str()));
  }
  return base::ok();
}

base::Result<std::optional<RawPacket>> RawSocket::receive() {
  RawPacket out;
  out.bytes.resize(kMaxDatagram);
  sockaddr_storage from{};
  iovec iov{out.bytes.data(), out.bytes.size()};
  alignas(cmsghdr) std::array<char, 256> control{};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  if (n < 0) return KEEL_SYS_ERROR(errno, "raw socket receive failed");
  out.bytes.resize(static_cast<std::size_t>(n));
  out.bytes.shrink_to_fit();
  auto source =
      base::Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&from), msg.msg_namelen);
  if (source) out.source = source->address();
  if (options_.source.isV6()) readControl(msg, out);
  return out;
}

}  // namespace keel::net
