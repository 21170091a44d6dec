#include "ctl/stream_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/address.h"
#include "base/log.h"

namespace keel::ctl {

struct StreamServer::Connection {
  Connection(base::UniqueFd f, base::Clock& clock) : fd(std::move(f)), timer(clock) {}
  base::UniqueFd fd;
  std::string in;
  std::string out;
  bool closing = false;   // close once `out` is sent
  bool deferred = false;  // a request waits for its answer (StreamServer::answer)
  std::uint64_t seq = 0;  // accept order
  base::Timer timer;      // the deadline of the current request or reply
};

base::Result<std::unique_ptr<StreamServer>> StreamServer::create(event::Loop& loop,
                                                                 base::UniqueFd listener,
                                                                 Options options) {
  std::unique_ptr<StreamServer> server(
      new StreamServer(loop, std::move(listener), std::move(options)));
  StreamServer* raw = server.get();
  auto s = loop.watch(raw->listener_.get(), EPOLLIN, [raw](std::uint32_t) { raw->onAccept(); });
  if (!s) return s.error();
  return server;
}

StreamServer::StreamServer(event::Loop& loop, base::UniqueFd listener, Options options)
    : loop_(loop),
      listener_(std::move(listener)),
      options_(std::move(options)),
      resume_(loop.clock()),
      self_(std::make_shared<StreamServer*>(this)) {}

StreamServer::~StreamServer() {
  *self_ = nullptr;
  for (auto& [fd, c] : connections_) loop_.unwatch(fd);
  loop_.unwatch(listener_.get());
}

void StreamServer::onAccept() {
  // Bounded: at most one backlog's worth per wake-up, so a flood cannot hold the loop.
  for (int i = 0; i < 64; ++i) {
    base::UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      const int err = errno;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) pauseAccepting(err);
      return;  // EAGAIN, or a peer's error (ECONNABORTED, ...) that concerns only that peer
    }
    admit(std::move(fd));
  }
}

// The listener stays readable while the backlog holds peers, so watching it now would spin the
// loop; it is unwatched until the pause ends (a closed connection or another part of keeld may
// have freed a descriptor by then).
void StreamServer::pauseAccepting(int err) {
  ++counters_.accept_pauses;
  base::logLimited("accept-exhausted:" + options_.name, base::LogLevel::Warning,
                   "{}: cannot accept ({}); pausing for {} ms", options_.name,
                   std::strerror(err),  // NOLINT(concurrency-mt-unsafe): loop thread only
                   std::chrono::duration_cast<std::chrono::milliseconds>(kAcceptPause).count());
  loop_.unwatch(listener_.get());
  resume_.armAfter(kAcceptPause, [this] { resumeAccepting(); });
}

void StreamServer::resumeAccepting() {
  auto s = loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { onAccept(); });
  if (!s) {
    base::logError("{}: cannot watch the listener again: {}", options_.name, s.error().str());
    resume_.armAfter(kAcceptPause, [this] { resumeAccepting(); });
  }
}

void StreamServer::admit(base::UniqueFd fd) {
  if (connections_.size() >= options_.limits.max_connections && !evictIdle()) {
    ++counters_.refused_full;
    return;  // closed by UniqueFd
  }
  if (options_.admit && !options_.admit(fd.get())) {
    ++counters_.refused_peer;
    return;
  }
  const int raw = fd.get();
  auto c = std::make_unique<Connection>(std::move(fd), loop_.clock());
  if (!loop_.watch(raw, EPOLLIN, [this, raw](std::uint32_t ev) { onEvents(raw, ev); })) return;
  ++counters_.accepted;
  c->seq = ++accepted_seq_;
  armTimer(*c, options_.limits.timeout);
  connections_[raw] = std::move(c);
}

// Full: the oldest connection that has sent nothing makes room, so that idle peers cannot lock
// out a client with a request. False when every connection is busy.
bool StreamServer::evictIdle() {
  const Connection* oldest = nullptr;
  for (const auto& [fd, c] : connections_) {
    if (c->in.empty() && c->out.empty() && !c->deferred &&
        (oldest == nullptr || c->seq < oldest->seq)) {
      oldest = c.get();
    }
  }
  if (oldest == nullptr) return false;
  ++counters_.evicted;
  close(oldest->fd.get());
  return true;
}

void StreamServer::onEvents(int fd, std::uint32_t events) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if ((events & (EPOLLERR | EPOLLHUP)) != 0 && (events & EPOLLIN) == 0) return close(fd);
  if ((events & EPOLLOUT) != 0 && !flush(c)) return;
  if ((events & EPOLLIN) != 0 && c.out.empty() && !c.closing && !c.deferred) {
    if (!readSome(c)) return close(fd);
    serveBuffered(c);
  }
}

// False when the peer closed or failed.
bool StreamServer::readSome(Connection& c) {
  std::array<char, 4096> buf{};
  const ssize_t n = ::read(c.fd.get(), buf.data(), buf.size());
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) return false;
  c.in.append(buf.data(), static_cast<std::size_t>(n));
  return true;
}

void StreamServer::serveBuffered(Connection& c) {
  const int fd = c.fd.get();
  auto length = options_.framer(c.in);
  if (!length) {
    if (c.in.size() <= options_.limits.max_request) return;
  }
  if (!length || *length > options_.limits.max_request + 1) {
    ++counters_.oversized;
    c.in.clear();
    c.out = options_.oversized_reply;
    c.closing = true;
    (void)flush(c);
    return;
  }
  ++counters_.requests;
  const std::string request = c.in.substr(0, *length);
  c.in.erase(0, *length);
  c.deferred = true;  // answer() clears it, also when the answer comes at once
  const bool taken = options_.deferred && options_.deferred(request, responder(c));
  if (taken) {
    auto it = connections_.find(fd);
    if (it == connections_.end() || !it->second->deferred) return;  // already answered
    (void)loop_.modify(fd, 0);  // nothing more is read while the answer is pending
    armTimer(c, options_.limits.deferred_timeout);
    return;
  }
  c.deferred = false;
  Reply reply = options_.handler(request);
  c.out = std::move(reply.bytes);
  c.closing = reply.close;
  armTimer(c, options_.limits.timeout);
  (void)flush(c);
}

void StreamServer::armTimer(Connection& c, base::Duration after) {
  const int fd = c.fd.get();
  c.timer.armAfter(after, [this, fd] {
    ++counters_.timeouts;
    close(fd);
  });
}

StreamServer::Responder StreamServer::responder(const Connection& c) {
  std::weak_ptr<StreamServer*> self = self_;
  return [self, fd = c.fd.get(), seq = c.seq](Reply reply) {
    auto server = self.lock();
    if (server && *server != nullptr) (*server)->answer(fd, seq, std::move(reply));
  };
}

// The answer to a deferred request of connection (fd, seq), if it is still there.
void StreamServer::answer(int fd, std::uint64_t seq, Reply reply) {
  auto it = connections_.find(fd);
  if (it == connections_.end() || it->second->seq != seq) return;
  Connection& c = *it->second;
  c.deferred = false;
  c.out = std::move(reply.bytes);
  c.closing = reply.close;
  armTimer(c, options_.limits.timeout);
  (void)flush(c);
}

// Writes what it can; false when the connection was closed.
bool StreamServer::flush(Connection& c) {
  const int fd = c.fd.get();
  while (!c.out.empty()) {
    const ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return loop_.modify(fd, EPOLLOUT).has_value();
    if (n <= 0) {
      close(fd);
      return false;
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  if (c.closing) {
    close(fd);
    return false;
  }
  (void)loop_.modify(fd, EPOLLIN);
  if (!c.in.empty()) serveBuffered(c);  // a pipelined request already read
  return connections_.count(fd) != 0;
}

void StreamServer::close(int fd) {
  loop_.unwatch(fd);
  connections_.erase(fd);
}

namespace {

base::Result<base::UniqueFd> listenOn(int family, const sockaddr* addr, socklen_t len) {
  base::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "socket");
  const int one = 1;
  if (family != AF_UNIX) (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), addr, len) != 0) return KEEL_SYS_ERROR(errno, "bind");
  if (::listen(fd.get(), 128) != 0) return KEEL_SYS_ERROR(errno, "listen");
  return fd;
}

}  // namespace

base::Result<base::UniqueFd> listenUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return base::makeError(base::ErrorCode::InvalidArgument, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  (void)::unlink(path.c_str());
  auto fd = listenOn(AF_UNIX, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  // The directory is 0700 (makeRuntimeDir), so nobody else reaches the socket before this.
  if (fd && ::chmod(path.c_str(), 0600) != 0) return KEEL_SYS_ERROR(errno, "chmod " + path);
  return fd;
}

base::Result<base::UniqueFd> listenTcp(const std::string& endpoint) {
  auto ep = base::Endpoint::parse(endpoint);
  if (!ep) return ep.error();
  sockaddr_storage ss{};
  const socklen_t len = ep->toSockaddr(ss);
  return listenOn(ss.ss_family, reinterpret_cast<const sockaddr*>(&ss), len);
}

}  // namespace keel::ctl
