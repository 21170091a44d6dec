// The worker's TCP half: accept with the limits, schedule, connect (one retry on the next real),
// relay both ways with bounded buffers, half-close, close. The Relay decides; this does the I/O.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "dataplane/proxy/sockets.h"
#include "dataplane/proxy/worker.h"
#include "dataplane/proxy/worker_internal.h"

namespace keel::dataplane::proxy {

namespace {

constexpr int kAcceptBatch = 64;
constexpr int kReadBatch = 16;
constexpr std::size_t kSpareBuffers = 64;  // per worker: 4 MiB at most

int idx(Side s) { return static_cast<int>(s); }

void addRelaxed(std::atomic<std::uint64_t>& a, std::uint64_t v) {
  a.fetch_add(v, std::memory_order_relaxed);
}

}  // namespace

void Worker::onAccept(Listener& l) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    base::UniqueFd fd(::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd) {
      if (auto client = peerOf(peer, len)) acceptOne(l, std::move(fd), *client);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (outOfDescriptors(errno)) pauseListener(l);
    return;
  }
}

void Worker::acceptOne(Listener& l, base::UniqueFd fd, const base::Endpoint& peer) {
  const Limits& lim = shared_.limits;
  if (l.state->liveConns().load() >= static_cast<std::int64_t>(lim.max_conns_per_service) ||
      !shared_.acquireFlow()) {
    shared_.count(Counter::DropLimit);
    return;
  }
  if (!shared_.clients.acquire(lb::Protocol::Tcp, peer.address())) {
    shared_.releaseFlow();
    shared_.count(Counter::DropClientLimit);
    return;
  }
  ++l.state->liveConns();
  auto owned = std::make_unique<Conn>(lim.connect_attempts);
  Conn& c = *owned;
  c.id = next_id_++;
  c.fd[0] = std::move(fd);
  c.key = l.key;
  c.service = l.state;
  c.client = peer;
  c.last_io = now();
  conns_.emplace(c.id, std::move(owned));
  auto pick = c.service->pick(
      {peer.address(), peer.port(), l.key.address, l.key.port, lb::Protocol::Tcp}, c.last_io);
  if (!pick) {
    shared_.count(Counter::DropNoReal);
    closeConn(c);
    return;
  }
  c.real = pick->real;
  c.persistence = pick->persistence;
  startConnectTo(c);
}

void Worker::startConnectTo(Conn& c) {
  bool in_progress = false;
  auto fd = startConnect(c.real->key, lb::Protocol::Tcp, &in_progress);
  addRelaxed(c.real->conns, 1);
  recount(c);
  if (!fd) {
    failConnect(c, Counter::ConnectFailed);
    return;
  }
  c.fd[1] = std::move(*fd);
  c.deadline = now() + shared_.limits.connect_timeout;
  watchConn(c, Side::Real, EPOLLOUT);
  watchConn(c, Side::Client, 0);
  recount(c);
}

void Worker::failConnect(Conn& c, Counter why) {
  shared_.count(why);
  unwatch(c.fd[1].get(), &c.interest[1]);
  c.fd[1].reset();
  if (!c.relay.connectFailed().retry) {
    closeConn(c);
    return;
  }
  const Micros t = now();
  c.service->ended(c.persistence, t);
  c.persistence.reset();
  auto pick = c.service->pick(
      {c.client.address(), c.client.port(), c.key.address, c.key.port, lb::Protocol::Tcp}, t,
      c.real.get());
  if (!pick) {
    closeConn(c);
    return;
  }
  shared_.count(Counter::ConnectRetried);
  c.real = pick->real;
  c.persistence = pick->persistence;
  startConnectTo(c);
}

void Worker::onConnecting(Conn& c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(c.fd[1].get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    failConnect(c, Counter::ConnectFailed);
    return;
  }
  c.relay.connected();
  c.last_io = now();
  recount(c);
  updateInterest(c);
}

void Worker::watchConn(Conn& c, Side side, std::uint32_t events) {
  setInterest(c.fd[idx(side)].get(), events, &c.interest[idx(side)], [this, &c, side] {
    return
        [this, ref = &c.sides[idx(side)]](std::uint32_t ev) { onConn(*ref->conn, ref->side, ev); };
  });
}

void Worker::onConn(Conn& c, Side side, std::uint32_t events) {
  if (c.closed) return;
  if (c.relay.phase() == Relay::Phase::Connecting) {
    if (side == Side::Real) {
      onConnecting(c);
    } else if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
      closeConn(c);  // the client gave up while we connected
    }
    return;
  }
  if ((events & EPOLLERR) != 0) {
    closeConn(c);
    return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0 && c.relay.readable(side) &&
      !readSide(c, side)) {
    return;
  }
  if ((events & EPOLLOUT) != 0 && !writeToward(c, side)) return;
  if ((events & EPOLLHUP) != 0 && !c.hup[idx(side)]) {
    // The peer is gone both ways and epoll reports HUP on every wait, so stop watching it. What
    // it sent may still be queued: it is read as the other side drains (pumpHup).
    c.hup[idx(side)] = true;
    unwatch(c.fd[idx(side)].get(), &c.interest[idx(side)]);
    c.pump = c.buf[idx(side)].empty();
  }
  pumpHup(c);
  if (!c.closed) updateInterest(c);
}

// Reads the rest of a HUP side each time the buffer from it has drained, until its EOF; then
// nothing more can move and the pair closes. Each round reads data or ends: the queue is finite.
void Worker::pumpHup(Conn& c) {
  while (!c.closed && c.pump) {
    c.pump = false;
    const Side h = c.hup[idx(Side::Client)] ? Side::Client : Side::Real;
    if (!c.relay.readable(h)) {
      closeConn(c);
      return;
    }
    if (!readSide(c, h)) return;
  }
}

// Reads from `s` while there is room, writing through to the other side. False: closed.
bool Worker::readSide(Conn& c, Side s) {
  Buffer& b = c.buf[idx(s)];
  const std::size_t cap = shared_.limits.buffer_bytes;
  if (!b.data) b.data = takeBuffer();
  RealState& r = *c.real;
  for (int i = 0; i < kReadBatch && b.end < cap; ++i) {
    const ssize_t n = ::read(c.fd[idx(s)].get(), b.data.get() + b.end, cap - b.end);
    if (n > 0) {
      b.end += static_cast<std::size_t>(n);
      addRelaxed(s == Side::Client ? r.in_packets : r.out_packets, 1);
      addRelaxed(s == Side::Client ? r.in_bytes : r.out_bytes, static_cast<std::uint64_t>(n));
      c.last_io = now();
      if (!writeToward(c, other(s))) return false;
      continue;
    }
    if (n == 0) {
      act(c, c.relay.readEof(s, !b.empty()));
      return !c.closed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    closeConn(c);
    return false;
  }
  return true;
}

// Writes what waits toward `to`. False: closed.
bool Worker::writeToward(Conn& c, Side to) {
  Buffer& b = c.buf[idx(other(to))];
  while (!b.empty()) {
    const ssize_t n =
        ::send(c.fd[idx(to)].get(), b.data.get() + b.begin, b.end - b.begin, MSG_NOSIGNAL);
    if (n > 0) {
      b.begin += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    closeConn(c);
    return false;
  }
  b.begin = b.end = 0;
  act(c, c.relay.drained(to));
  if (!c.closed && c.hup[idx(other(to))]) c.pump = true;
  return !c.closed;
}

// Relay buffers are reused: a connection per request would otherwise allocate and free two
// buffers each time.
std::unique_ptr<char[]> Worker::takeBuffer() {
  if (spare_buffers_.empty()) {
    return std::make_unique_for_overwrite<char[]>(shared_.limits.buffer_bytes);
  }
  std::unique_ptr<char[]> b = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return b;
}

void Worker::giveBuffer(std::unique_ptr<char[]> b) {
  if (b && spare_buffers_.size() < kSpareBuffers) spare_buffers_.push_back(std::move(b));
}

void Worker::act(Conn& c, const RelayAction& a) {
  if (a.shutdown_write) ::shutdown(c.fd[idx(*a.shutdown_write)].get(), SHUT_WR);
  if (a.close) {
    closeConn(c);
    return;
  }
  recount(c);
}

void Worker::updateInterest(Conn& c) {
  for (Side s : {Side::Client, Side::Real}) {
    if (c.hup[idx(s)] || !c.fd[idx(s)]) continue;
    std::uint32_t ev = 0;
    if (c.relay.readable(s) && c.buf[idx(s)].end < shared_.limits.buffer_bytes) {
      ev |= EPOLLIN | EPOLLRDHUP;
    }
    if (!c.buf[idx(other(s))].empty()) ev |= EPOLLOUT;
    watchConn(c, s, ev);
  }
}

// Keeps the real's ActiveConn/InActConn and the connection table in step with the relay.
void Worker::recount(Conn& c) {
  RealState* want = c.closed ? nullptr : c.real.get();
  const bool active = c.relay.active();
  if (c.counted != want || c.counted_active != active) {
    if (c.counted != nullptr) --(c.counted_active ? c.counted->active : c.counted->inactive);
    if (want != nullptr) ++(active ? want->active : want->inactive);
    c.counted = want;
    c.counted_active = active;
  }
  if (c.closed || !c.real) return;
  // The table entry changes only with the state or the real (a retry).
  if (c.relay.stateName() == c.recorded_state && c.real.get() == c.recorded_real) return;
  c.recorded_state = c.relay.stateName();
  c.recorded_real = c.real.get();
  const auto left = c.relay.phase() == Relay::Phase::Connecting ? shared_.limits.connect_timeout
                                                                : shared_.limits.idle_timeout;
  record(c.id, {lb::Protocol::Tcp, c.client.address(), c.client.port(), c.key, c.real->key,
                std::string(c.relay.stateName()), left});
}

void Worker::closeConn(Conn& c) {
  if (c.closed) return;
  c.closed = true;
  for (Side s : {Side::Client, Side::Real}) {
    unwatch(c.fd[idx(s)].get(), &c.interest[idx(s)]);
    c.fd[idx(s)].reset();
    giveBuffer(std::move(c.buf[idx(s)].data));
    c.buf[idx(s)] = Buffer{};
  }
  recount(c);
  if (c.real) c.service->ended(c.persistence, now());
  --c.service->liveConns();
  shared_.releaseFlow();
  shared_.clients.release(lb::Protocol::Tcp, c.client.address());
  unrecord(c.id);
  dead_.push_back(c.id);
}

void Worker::sweepConns(Micros t) {
  for (auto& [id, owned] : conns_) {
    Conn& c = *owned;
    if (c.closed) continue;
    if (c.real && c.real->removed.load()) {
      shared_.count(Counter::RealRemoved);
      closeConn(c);
    } else if (c.relay.phase() == Relay::Phase::Connecting && t >= c.deadline) {
      failConnect(c, Counter::ConnectTimeout);
    } else if (t - c.last_io >= shared_.limits.idle_timeout) {
      shared_.count(Counter::IdleTimeout);
      closeConn(c);
    }
  }
}

}  // namespace keel::dataplane::proxy
