#include "dataplane/proxy/worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <csignal>

#include <array>
#include <cerrno>

#include "base/log.h"
#include "dataplane/proxy/sockets.h"
#include "dataplane/proxy/worker_internal.h"

namespace keel::dataplane::proxy {

namespace {

constexpr int kMaxEvents = 128;
// The sweep period: connect and idle timeouts, removed reals and paused listeners are noticed
// within it.
constexpr std::chrono::milliseconds kSweep{100};

}  // namespace

base::Result<std::unique_ptr<Worker>> Worker::start(Shared& shared) {
  base::UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return KEEL_SYS_ERROR(errno, "epoll_create1");
  base::UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return KEEL_SYS_ERROR(errno, "eventfd");
  std::unique_ptr<Worker> w(new Worker(shared, std::move(epoll), std::move(wake)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &w->wake_tag_;
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->wake_.get(), &ev) != 0) {
    return KEEL_SYS_ERROR(errno, "epoll_ctl");
  }
  // Signals belong to the control-plane loop (its signalfd): the worker thread starts with every
  // signal blocked so that none is delivered to it.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return w;
}

Worker::Worker(Shared& shared, base::UniqueFd epoll, base::UniqueFd wake)
    : shared_(shared), epoll_(std::move(epoll)), wake_(std::move(wake)) {}

Worker::~Worker() {
  stop_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void Worker::publish(SnapshotPtr snapshot) {
  pending_.store(std::move(snapshot));
  const std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

std::chrono::microseconds Worker::now() const {
  return std::chrono::duration_cast<Micros>(clock_.now().time_since_epoch());
}

void Worker::run() {
  std::array<epoll_event, kMaxEvents> events{};
  while (!stop_.load()) {
    const int n =
        ::epoll_wait(epoll_.get(), events.data(), kMaxEvents, static_cast<int>(kSweep.count()));
    bool wake = false;
    for (int i = 0; i < n; ++i) {
      const Tag& tag = *static_cast<const Tag*>(events[i].data.ptr);
      if (tag.kind == Tag::Kind::Wake) {
        std::uint64_t v = 0;
        (void)!::read(wake_.get(), &v, sizeof v);
        wake = true;
      } else {
        dispatch(tag, events[i].events);
      }
    }
    reap();
    if (wake) applySnapshot();
    if (now() - last_sweep_ >= kSweep) sweep();
  }
  for (auto& [id, c] : conns_) closeConn(*c);
  for (auto& [key, l] : listeners_) closeListener(*l);
  reap();
}

void Worker::dispatch(const Tag& tag, std::uint32_t events) {
  switch (tag.kind) {
    case Tag::Kind::Listener: {
      auto& l = *static_cast<Listener*>(tag.object);
      if (l.key.protocol == lb::Protocol::Udp) {
        onUdpListener(l);
      } else {
        onAccept(l);
      }
      break;
    }
    case Tag::Kind::Conn:
      onConn(*static_cast<Conn*>(tag.object), tag.side, events);
      break;
    case Tag::Kind::Udp:
      onUdpReply(*static_cast<UdpSession*>(tag.object));
      break;
    case Tag::Kind::Wake:
      break;
  }
}

// Frees what this batch of events closed; no event of the batch can still point at it.
void Worker::reap() {
  for (std::uint64_t id : dead_) conns_.erase(id);
  dead_.clear();
  dead_sessions_.clear();
}

void Worker::setInterest(int fd, Tag* tag, std::uint32_t events, std::uint32_t* current) {
  if (*current == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = tag;
  const int op = *current == kUnregistered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (::epoll_ctl(epoll_.get(), op, fd, &ev) == 0) *current = events;
}

void Worker::unwatch(int fd, std::uint32_t* current) {
  if (*current == kUnregistered) return;
  (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  *current = kUnregistered;
}

void Worker::applySnapshot() {
  SnapshotPtr snap = pending_.load();
  if (!snap || snap == snapshot_) return;
  snapshot_ = snap;
  std::map<lb::ServiceKey, std::unique_ptr<Listener>> kept;
  for (const Snapshot::Entry& e : snap->services) {
    auto it = listeners_.find(e.service->key);
    if (it != listeners_.end()) {
      it->second->state = e.state;  // the same socket: a reload refuses nothing
      kept.emplace(e.service->key, std::move(it->second));
      listeners_.erase(it);
    } else if (auto l = openListenerFor(e)) {
      kept.emplace(e.service->key, std::move(l));
    }
  }
  for (auto& [key, l] : listeners_) closeListener(*l);
  listeners_ = std::move(kept);
  sweep();
}

std::unique_ptr<Worker::Listener> Worker::openListenerFor(const Snapshot::Entry& e) {
  auto fd = openListener(e.service->key);
  if (!fd) {
    shared_.count(Counter::ListenFailed);
    base::logError("proxy: cannot listen on {}: {}", e.service->key.str(), fd.error().str());
    return nullptr;
  }
  auto l = std::make_unique<Listener>();
  l->key = e.service->key;
  l->state = e.state;
  l->fd = std::move(*fd);
  l->tag = {Tag::Kind::Listener, l.get()};
  if (l->key.protocol == lb::Protocol::Udp) {
    l->sessions = std::make_unique<SessionTable<std::unique_ptr<UdpSession>>>(
        shared_.limits.max_udp_sessions, shared_.limits.udp_idle_timeout);
  }
  setInterest(l->fd.get(), &l->tag, EPOLLIN, &l->interest);
  return l;
}

void Worker::closeListener(Listener& l) {
  if (l.sessions) {
    for (auto& [key, s] : l.sessions->expire(now(), [](const auto&) { return true; })) {
      closeSession(*s);
      dead_sessions_.push_back(std::move(s));
    }
  }
  unwatch(l.fd.get(), &l.interest);
  l.fd.reset();
}

void Worker::sweep() {
  const Micros t = now();
  last_sweep_ = t;
  for (auto& [key, l] : listeners_) {
    if (l->paused_until.count() != 0 && t >= l->paused_until) {
      l->paused_until = Micros{};
      setInterest(l->fd.get(), &l->tag, EPOLLIN, &l->interest);
    }
  }
  sweepConns(t);
  sweepUdp(t);
  reap();
}

void Worker::record(std::uint64_t id, Connection entry) {
  std::lock_guard lock(table_mu_);
  table_[id] = std::move(entry);
}

void Worker::unrecord(std::uint64_t id) {
  std::lock_guard lock(table_mu_);
  table_.erase(id);
}

void Worker::connections(std::vector<Connection>& out, std::size_t limit) const {
  std::lock_guard lock(table_mu_);
  for (const auto& [id, c] : table_) {
    if (out.size() >= limit) return;
    out.push_back(c);
  }
}

}  // namespace keel::dataplane::proxy
