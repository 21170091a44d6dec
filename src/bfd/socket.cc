#include "bfd/socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "bfd/packet.h"

namespace keel::bfd {

namespace {

constexpr int kTosNetworkControl = 0xc0;  // DSCP CS6, as routing protocols use

base::Status setInt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return KEEL_SYS_ERROR(errno, what);
  }
  return base::ok();
}

std::optional<int> ttlOf(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL;
    const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT;
    if (v4 || v6) {
      int ttl = 0;
      std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      return ttl;
    }
  }
  return std::nullopt;
}

}  // namespace

base::Result<base::UniqueFd> openReceiver(const base::IpAddress& listen, std::uint16_t port) {
  base::UniqueFd fd(::socket(listen.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open a UDP socket");
  if (listen.isV4()) {
    KEEL_TRY(setInt(fd.get(), IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"));
  } else {
    KEEL_TRY(setInt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY"));
    KEEL_TRY(setInt(fd.get(), IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"));
  }
  sockaddr_storage ss{};
  const socklen_t len = base::Endpoint(listen, port).toSockaddr(ss);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot bind the BFD port " + base::Endpoint(listen, port).str());
  }
  return fd;
}

base::Result<base::UniqueFd> openSender(int family, const std::optional<base::IpAddress>& source,
                                        int ttl, std::mt19937& rng) {
  base::UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open a UDP socket");
  if (family == AF_INET) {
    KEEL_TRY(setInt(fd.get(), IPPROTO_IP, IP_TTL, ttl, "IP_TTL"));
    KEEL_TRY(setInt(fd.get(), IPPROTO_IP, IP_TOS, kTosNetworkControl, "IP_TOS"));
  } else {
    KEEL_TRY(setInt(fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS"));
    KEEL_TRY(setInt(fd.get(), IPPROTO_IPV6, IPV6_TCLASS, kTosNetworkControl, "IPV6_TCLASS"));
  }
  const base::IpAddress any =
      source ? *source
             : (family == AF_INET ? base::IpAddress::v4(0) : *base::IpAddress::parse("::"));
  constexpr int kPorts = 65536 - kSourcePortMin;
  const int first = std::uniform_int_distribution<int>(0, kPorts - 1)(rng);
  for (int i = 0; i < kPorts; ++i) {
    const auto port = static_cast<std::uint16_t>(kSourcePortMin + (first + i) % kPorts);
    sockaddr_storage ss{};
    const socklen_t len = base::Endpoint(any, port).toSockaddr(ss);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) == 0) return fd;
    if (errno != EADDRINUSE) {
      return KEEL_SYS_ERROR(errno, "cannot bind the BFD source " + base::Endpoint(any, port).str());
    }
  }
  return KEEL_SYS_ERROR(EADDRINUSE, "no free BFD source port in 49152-65535");
}

base::Result<std::optional<Datagram>> receiveOne(int fd, std::span<std::uint8_t> buffer) {
  sockaddr_storage from{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int)) * 2];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
    return KEEL_SYS_ERROR(errno, "cannot read a BFD packet");
  }
  Datagram d;
  d.size = static_cast<std::size_t>(n);
  d.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  d.ttl = ttlOf(msg);
  if (auto ep =
          base::Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&from), msg.msg_namelen)) {
    d.source = *ep;
  }
  return d;
}

base::Status sendTo(int fd, const base::Endpoint& to, std::span<const std::uint8_t> bytes) {
  sockaddr_storage ss{};
  const socklen_t len = to.toSockaddr(ss);
  if (::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&ss),
               len) < 0) {
    return KEEL_SYS_ERROR(errno, "cannot send a BFD packet to " + to.str());
  }
  return base::ok();
}

}  // namespace keel::bfd
