#include "dataplane/proxy/sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <tuple>

#include <fmt/format.h>

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78  // linux/in6.h; glibc's netinet/in.h lacks it
#endif

namespace keel::dataplane::proxy {

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
  sockaddr_storage sa{};
  const socklen_t len = base::Endpoint(key.address, key.port).toSockaddr(sa);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
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
  sockaddr_storage sa{};
  const socklen_t len = base::Endpoint(real.address, real.port).toSockaddr(sa);
  *in_progress = false;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    if (errno != EINPROGRESS) return KEEL_SYS_ERROR(errno, fmt::format("connect {}", real.str()));
    *in_progress = true;
  }
  return fd;
}

}  // namespace keel::dataplane::proxy
