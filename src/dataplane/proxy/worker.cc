#include "dataplane/proxy/worker.h"

#include <sys/epoll.h>

#include <csignal>

#include "base/log.h"
#include "dataplane/proxy/sockets.h"
#include "dataplane/proxy/worker_internal.h"

namespace keel::dataplane::proxy {

namespace {

// The sweep period: connect and idle timeouts, removed reals and paused listeners are noticed
// within it, and closed connections are freed.
constexpr std::chrono::milliseconds kSweep{100};
// How long a listener pauses when descriptors or memory run short.
constexpr std::chrono::milliseconds kPause{100};

}  // namespace

base::Result<std::unique_ptr<Worker>> Worker::start(Shared& shared) {
  std::unique_ptr<Worker> w(new Worker(shared));
  auto loop = event::Loop::create(w->clock_);
  if (!loop) return loop.error();
  w->loop_ = std::move(*loop);
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

Worker::Worker(Shared& shared) : shared_(shared) {}

Worker::~Worker() {
  loop_->stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::publish(SnapshotPtr snapshot) {
  loop_->post([this, snap = std::move(snapshot)] { applySnapshot(snap); });
}

std::chrono::microseconds Worker::now() const {
  return std::chrono::duration_cast<Micros>(clock_.now().time_since_epoch());
}

void Worker::run() {
  sweep_timer_ = std::make_unique<base::Timer>(clock_);
  armSweep();
  if (auto s = loop_->run(); !s) base::logError("proxy worker stopped: {}", s.error().str());
  for (auto& [id, c] : conns_) closeConn(*c);
  for (auto& [key, l] : listeners_) closeListener(*l);
  reap();
  sweep_timer_.reset();
}

void Worker::armSweep() {
  sweep_timer_->armAfter(kSweep, [this] {
    sweep();
    armSweep();
  });
}

// Frees what was closed since the last sweep: a timer runs after the loop's I/O callbacks, and a
// closed connection's descriptors were unwatched when it closed, so nothing can point at it.
void Worker::reap() {
  for (std::uint64_t id : dead_) conns_.erase(id);
  dead_.clear();
  dead_sessions_.clear();
}

void Worker::unwatch(int fd, std::uint32_t* current) {
  if (*current == kUnregistered) return;
  loop_->unwatch(fd);
  *current = kUnregistered;
}

void Worker::applySnapshot(const SnapshotPtr& snap) {
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
  if (l->key.protocol == lb::Protocol::Udp) {
    l->sessions = std::make_unique<SessionTable<std::unique_ptr<UdpSession>>>(
        shared_.limits.max_udp_sessions, shared_.limits.udp_idle_timeout);
  }
  watchListener(*l, EPOLLIN);
  return l;
}

void Worker::watchListener(Listener& l, std::uint32_t events) {
  setInterest(l.fd.get(), events, &l.interest, [this, raw = &l] {
    return [this, raw](std::uint32_t) {
      if (raw->key.protocol == lb::Protocol::Udp) {
        onUdpListener(*raw);
      } else {
        onAccept(*raw);
      }
    };
  });
}

// Level-triggered readiness would call the listener again at once while descriptors are short:
// it stops being watched for kPause, and the sweep after that resumes it.
void Worker::pauseListener(Listener& l) {
  shared_.count(Counter::DropFdExhausted);
  l.paused_until = now() + kPause;
  watchListener(l, 0);
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
  for (auto& [key, l] : listeners_) {
    if (l->paused_until.count() != 0 && t >= l->paused_until) {
      l->paused_until = Micros{};
      watchListener(*l, EPOLLIN);
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
