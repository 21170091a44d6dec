#include "check/probe.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace keel::check {

ProbeTarget resolveTarget(const model::Checker& checker, const base::Endpoint& real,
                          const std::string& virtualhost) {
  const model::CheckTarget& t = checker.target;
  ProbeTarget out;
  out.endpoint =
      base::Endpoint(t.connect_ip.value_or(real.address()), t.connect_port.value_or(real.port()));
  out.bindto = t.bindto;
  out.bind_port = t.bind_port;
  out.bind_if = t.bind_if;
  out.fwmark = t.fwmark;
  out.virtualhost = virtualhost;
  return out;
}

void SocketProbe::cancel() {
  timer_.disarm();
  done_ = nullptr;
  close();
}

void SocketProbe::finish(ProbeResult result) {
  timer_.disarm();
  close();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void SocketProbe::failSoon(std::string reason, bool no_descriptor) {
  close();
  timer_.armAt(loop_.clock().now(), [this, reason = std::move(reason), no_descriptor] {
    finish({.reason = reason, .no_descriptor = no_descriptor});
  });
}

bool outOfDescriptors(const base::Error& error) {
  const int e = error.sys_errno;
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

void SocketProbe::close() {
  if (fd_) {
    loop_.unwatch(fd_.get());
    fd_.reset();
  }
}

base::Result<base::UniqueFd> openSocket(const ProbeTarget& target, int type, int protocol) {
  const int family = target.endpoint.address().family();
  base::UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!fd) return KEEL_SYS_ERROR(errno, "socket");
  if (!target.bind_if.empty()) {
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, target.bind_if.c_str(),
                     static_cast<socklen_t>(target.bind_if.size())) != 0) {
      return KEEL_SYS_ERROR(errno, "setsockopt(SO_BINDTODEVICE, " + target.bind_if + ")");
    }
  }
  if (target.fwmark) {
    const int mark = static_cast<int>(*target.fwmark);
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
      return KEEL_SYS_ERROR(errno, "setsockopt(SO_MARK)");
    }
  }
  if (target.bindto || target.bind_port) {
    const base::IpAddress any =
        family == AF_INET6 ? base::IpAddress::parseV6("::").value() : base::IpAddress::v4(0);
    const base::Endpoint local(target.bindto.value_or(any), target.bind_port.value_or(0));
    sockaddr_storage ss{};
    const socklen_t len = local.toSockaddr(ss);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
      return KEEL_SYS_ERROR(errno, "bind(" + local.str() + ")");
    }
  }
  sockaddr_storage ss{};
  const socklen_t len = target.endpoint.toSockaddr(ss);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0 &&
      errno != EINPROGRESS) {
    return KEEL_SYS_ERROR(errno, "connect(" + target.endpoint.str() + ")");
  }
  return fd;
}

base::Status connectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return KEEL_SYS_ERROR(errno, "getsockopt");
  if (err != 0) {
    return KEEL_SYS_ERROR(err, "connect");
  }
  return {};
}

}  // namespace keel::check
