#include "dataplane/proxy/sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78  // linux/in6.h; glibc's netinet/in.h lacks it
#endif

namespace keel::dataplane::proxy {

SockAddr toSockAddr(const base::IpAddress& address, std::uint16_t port) {
  SockAddr out;
  if (address.isV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, address.bytes().data(), 4);
    std::memcpy(&out.storage, &sin, sizeof sin);
    out.len = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(&sin6.sin6_addr, address.bytes().data(), 16);
    std::memcpy(&out.storage, &sin6, sizeof sin6);
    out.len = sizeof sin6;
  }
  return out;
}

std::pair<base::IpAddress, std::uint16_t> fromSockAddr(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &sa, sizeof sin);
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &sin.sin_addr, 4);
    return {base::IpAddress::fromV4Bytes(b), ntohs(sin.sin_port)};
  }
  if (sa.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &sa, sizeof sin6);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    return {base::IpAddress::fromV6Bytes(b), ntohs(sin6.sin6_port)};
  }
  return {base::IpAddress::v4(0), 0};
}

namespace {

base::Result<void> setOption(int fd, int level, int name, const char* what) {
  const int one = 1;
  if (::setsockopt(fd, level, name, &one, sizeof one) != 0) return KEEL_SYS_ERROR(errno, what);
  return {};
}

}  // namespace

base::Result<base::UniqueFd> openListener(const lb::ServiceKey& key) {
  const int type = key.protocol == lb::Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM;
  base::UniqueFd fd(::socket(key.address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "socket");
  for (auto [level, name, what] : {std::tuple{SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"},
                                   std::tuple{SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT"}}) {
    if (auto r = setOption(fd.get(), level, name, what); !r) return r.error();
  }
  const bool v6 = key.address.isV6();
  // A VIP that is not (yet) on the host, e.g. before VRRP makes this director MASTER.
  (void)setOption(fd.get(), v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND, "FREEBIND");
  if (v6) (void)setOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
  const SockAddr sa = toSockAddr(key.address, key.port);
  if (::bind(fd.get(), sa.get(), sa.len) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("bind {}", key.str()));
  }
  if (type == SOCK_STREAM && ::listen(fd.get(), SOMAXCONN) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("listen {}", key.str()));
  }
  return fd;
}

base::Result<base::UniqueFd> startConnect(const lb::RealKey& real, lb::Protocol protocol,
                                          bool* in_progress) {
  const int type = protocol == lb::Protocol::Udp ? SOCK_DGRAM : SOCK_STREAM;
  base::UniqueFd fd(::socket(real.address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "socket");
  const SockAddr sa = toSockAddr(real.address, real.port);
  *in_progress = false;
  if (::connect(fd.get(), sa.get(), sa.len) != 0) {
    if (errno != EINPROGRESS) return KEEL_SYS_ERROR(errno, fmt::format("connect {}", real.str()));
    *in_progress = true;
  }
  return fd;
}

}  // namespace keel::dataplane::proxy
