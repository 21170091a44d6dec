// The worker's UDP half: a session per client address:port with its own connected socket to the
// real server, opened within the limits (per worker, per client prefix, all flows); replies go
// back from the VIP's socket. Sessions end after udp_idle_timeout.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "dataplane/proxy/sockets.h"
#include "dataplane/proxy/worker.h"
#include "dataplane/proxy/worker_internal.h"

namespace keel::dataplane::proxy {

namespace {

constexpr int kDatagramBatch = 64;
constexpr std::size_t kMaxDatagram = 65536;

void addRelaxed(std::atomic<std::uint64_t>& a, std::uint64_t v) {
  a.fetch_add(v, std::memory_order_relaxed);
}

// One scratch buffer per worker thread for the datagram in flight.
char* scratch() {
  thread_local std::array<char, kMaxDatagram> buffer{};
  return buffer.data();
}

}  // namespace

void Worker::onUdpListener(Listener& l) {
  char* buf = scratch();
  for (int i = 0; i < kDatagramBatch && l.paused_until.count() == 0; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const ssize_t n = ::recvfrom(l.fd.get(), buf, kMaxDatagram, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&peer), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    UdpSession* s = udpSession(l, peer, len);
    if (s == nullptr) continue;
    if (::send(s->fd.get(), buf, static_cast<std::size_t>(n), MSG_DONTWAIT) >= 0) {
      addRelaxed(s->real->in_packets, 1);
      addRelaxed(s->real->in_bytes, static_cast<std::uint64_t>(n));
    }
  }
}

// The client's session, opened on its first datagram within the limits; nullptr drops the
// datagram (counted).
Worker::UdpSession* Worker::udpSession(Listener& l, const sockaddr_storage& peer, socklen_t len) {
  auto client = peerOf(peer, len);
  if (!client) return nullptr;
  if (auto* found = l.sessions->touch(*client, now())) return found->get();
  if (l.sessions->size() >= shared_.limits.max_udp_sessions) {
    shared_.count(Counter::DropUdpSessions);
    return nullptr;
  }
  if (!shared_.acquireFlow()) {
    shared_.count(Counter::DropLimit);
    return nullptr;
  }
  if (!shared_.clients.acquire(lb::Protocol::Udp, client->address())) {
    shared_.releaseFlow();
    shared_.count(Counter::DropUdpClientLimit);
    return nullptr;
  }
  UdpSession* s = openSession(l, *client, peer, len);
  if (s == nullptr) {
    shared_.clients.release(lb::Protocol::Udp, client->address());
    shared_.releaseFlow();
  }
  return s;
}

Worker::UdpSession* Worker::openSession(Listener& l, const base::Endpoint& client,
                                        const sockaddr_storage& peer, socklen_t len) {
  const Micros t = now();
  auto pick = l.state->pick(
      {client.address(), client.port(), l.key.address, l.key.port, lb::Protocol::Udp}, t);
  if (!pick) {
    shared_.count(Counter::DropNoReal);
    return nullptr;
  }
  bool in_progress = false;
  auto fd = startConnect(pick->real->key, lb::Protocol::Udp, &in_progress);
  if (!fd) {
    l.state->ended(pick->persistence, t);
    if (outOfDescriptors(fd.error().sys_errno)) {
      pauseListener(l);
    } else {
      shared_.count(Counter::ConnectFailed);
    }
    return nullptr;
  }
  auto s = std::make_unique<UdpSession>();
  s->id = next_id_++;
  s->fd = std::move(*fd);
  s->listener = &l;
  s->client = client;
  s->peer = peer;
  s->peer_len = len;
  s->service = l.state;
  s->real = pick->real;
  s->persistence = pick->persistence;
  addRelaxed(s->real->conns, 1);
  ++s->real->inactive;  // as IPVS, a UDP "connection" counts as inactive
  setInterest(s->fd.get(), EPOLLIN, &s->interest,
              [this, raw = s.get()] { return [this, raw](std::uint32_t) { onUdpReply(*raw); }; });
  record(s->id, {lb::Protocol::Udp, client.address(), client.port(), l.key, s->real->key, "UDP",
                 shared_.limits.udp_idle_timeout});
  UdpSession* raw = s.get();
  l.sessions->insert(client, std::move(s), t);
  return raw;
}

void Worker::onUdpReply(UdpSession& s) {
  char* buf = scratch();
  for (int i = 0; i < kDatagramBatch; ++i) {
    const ssize_t n = ::recv(s.fd.get(), buf, kMaxDatagram, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED) continue;  // ICMP from the real: ignored
      return;
    }
    if (!s.listener->fd) return;
    if (::sendto(s.listener->fd.get(), buf, static_cast<std::size_t>(n), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&s.peer), s.peer_len) >= 0) {
      addRelaxed(s.real->out_packets, 1);
      addRelaxed(s.real->out_bytes, static_cast<std::uint64_t>(n));
    }
    s.listener->sessions->touch(s.client, now());
  }
}

void Worker::closeSession(UdpSession& s) {
  unwatch(s.fd.get(), &s.interest);
  s.fd.reset();
  --s.real->inactive;
  s.service->ended(s.persistence, now());
  shared_.clients.release(lb::Protocol::Udp, s.client.address());
  shared_.releaseFlow();
  unrecord(s.id);
}

void Worker::sweepUdp(Micros t) {
  for (auto& [key, l] : listeners_) {
    if (!l->sessions) continue;
    auto gone = l->sessions->expire(
        t, [](const std::unique_ptr<UdpSession>& s) { return s->real->removed.load(); });
    for (auto& [client, s] : gone) {
      closeSession(*s);
      dead_sessions_.push_back(std::move(s));
    }
  }
}

}  // namespace keel::dataplane::proxy
