// The proxy end to end on loopback: real sockets, real worker threads.
#include "dataplane/proxy/proxy_dataplane.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "dataplane/proxy/sockets.h"

namespace keel::dataplane::proxy {
namespace {

const base::IpAddress kLo = base::IpAddress::v4(0x7f000001);

std::uint16_t portOf(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return peerOf(sa, len)->port();
}

// Connects or binds `fd` to 127.0.0.1:port.
int at(int (*call)(int, const sockaddr*, socklen_t), int fd, std::uint16_t port) {
  sockaddr_storage sa{};
  const socklen_t len = base::Endpoint(kLo, port).toSockaddr(sa);
  return call(fd, reinterpret_cast<const sockaddr*>(&sa), len);
}

// A listening socket on a free loopback port.
base::UniqueFd listenAny() {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(at(::bind, fd.get(), 0), 0);
  EXPECT_EQ(::listen(fd.get(), 16), 0);
  return fd;
}

std::uint16_t freePort() { return portOf(listenAny().get()); }

// Connects to 127.0.0.1:port, retrying while the workers open their listeners (bounded: 2 s).
base::UniqueFd connectTo(std::uint16_t port) {
  for (int i = 0; i < 400; ++i) {
    base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (at(::connect, fd.get(), port) == 0) return fd;
    ::poll(nullptr, 0, 5);
  }
  return {};
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

std::shared_ptr<const lb::ServiceTable> table(std::uint16_t vport, std::uint16_t real_port,
                                              lb::Forwarding fwd = lb::Forwarding::Nat) {
  lb::Service s;
  s.key = {kLo, vport, lb::Protocol::Tcp, 0};
  s.scheduler = "rr";
  s.reals.push_back({{kLo, real_port}, 1, fwd, 0, 0, false});
  return std::make_shared<const lb::ServiceTable>(lb::ServiceTable::of({s}));
}

TEST(ProxyDataplane, RelaysBothWaysWithHalfClose) {
  auto proxy = ProxyDataplane::start(2).value();
  base::UniqueFd backend = listenAny();
  const std::uint16_t vport = freePort();
  ASSERT_TRUE(proxy->apply(table(vport, portOf(backend.get()))));
  // The backend reads the request to its EOF (the client's half-close), then answers and closes.
  std::thread server([&] {
    base::UniqueFd c(::accept4(backend.get(), nullptr, nullptr, SOCK_CLOEXEC));
    const std::string request = readAll(c.get());
    const std::string reply = "got " + request;
    ASSERT_EQ(::write(c.get(), reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
  });
  base::UniqueFd client = connectTo(vport);
  ASSERT_TRUE(client);
  ASSERT_EQ(::write(client.get(), "hello", 5), 5);
  ::shutdown(client.get(), SHUT_WR);
  EXPECT_EQ(readAll(client.get()), "got hello");
  server.join();
  auto stats = proxy->stats().value();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].reals[0].counters.conns, 1u);
  EXPECT_EQ(stats[0].reals[0].counters.in_bytes, 5u);
  EXPECT_EQ(stats[0].reals[0].counters.out_bytes, 9u);
}

TEST(ProxyDataplane, NoRealClosesTheClientAndCountsIt) {
  auto proxy = ProxyDataplane::start(1).value();
  const std::uint16_t vport = freePort();
  auto t = table(vport, freePort());  // nothing listens there: refused, retried, closed
  ASSERT_TRUE(proxy->apply(t));
  base::UniqueFd client = connectTo(vport);
  ASSERT_TRUE(client);
  EXPECT_EQ(readAll(client.get()), "");
  auto counters = proxy->counters().value();
  std::uint64_t failed = 0;
  for (auto& [name, v] : counters) {
    if (name == "connect_failed") failed = v;
  }
  EXPECT_EQ(failed, 1u);
}

TEST(ProxyDataplane, RefusesDirectRoutingNamingTheService) {
  auto proxy = ProxyDataplane::start(1).value();
  auto r = proxy->apply(table(80, 80, lb::Forwarding::Dr));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("TCP 127.0.0.1:80: lb_kind DR"), std::string::npos)
      << r.error().str();
  EXPECT_TRUE(proxy->stats().value().empty());
}

}  // namespace
}  // namespace keel::dataplane::proxy
