#include "bfd/engine.h"

#include <sys/epoll.h>

#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "bfd/socket.h"

namespace keel::bfd {

namespace {

constexpr int kReadBurst = 64;            // datagrams per wake-up, so timers are never starved
constexpr std::size_t kBufferSize = 512;  // BFD packets are 24-52 bytes; more is truncated

SessionParams paramsOf(const model::BfdInstance& b) {
  return SessionParams{b.min_tx, b.min_rx, b.idle_tx, b.multiplier, b.passive};
}

// The TTL keel sends with: the configured one, else 255 on both families (RFC 5881 §5).
int sendTtl(const model::BfdInstance& b) { return b.ttl.value_or(kSingleHopTtl); }

// keepalived's GTSM check, extended with max_hops (bfd_check_packet_ttl); 255 turns it off.
bool ttlAllowed(const model::BfdInstance& b, std::optional<int> ttl) {
  if (b.max_hops == 255) return true;
  return ttl && *ttl + b.max_hops >= model::bfdExpectedTtl(b);
}

bool sameEndpointConfig(const model::BfdInstance& a, const model::BfdInstance& b) {
  return a.neighbor == b.neighbor && a.source == b.source && a.ttl == b.ttl;
}

double ms(base::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

Engine::Engine(event::Loop& loop, EngineOptions options)
    : loop_(loop),
      options_(std::move(options)),
      events_(options_.events ? options_.events : std::make_shared<Events>()),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

Engine::~Engine() {
  sessions_.clear();
  if (rx_v4_) loop_.unwatch(rx_v4_.get());
  if (rx_v6_) loop_.unwatch(rx_v6_.get());
}

base::Result<std::unique_ptr<Engine>> Engine::create(event::Loop& loop,
                                                     const std::vector<model::BfdInstance>& config,
                                                     EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine(loop, std::move(options)));
  KEEL_TRY(engine->openReceivers(config));
  for (const model::BfdInstance& b : config) {
    auto entry = engine->openSession(b);
    if (!entry) {
      return base::makeError(entry.error().code,
                             fmt::format("BFD_Instance({}): {}", b.name, entry.error().str()));
    }
    engine->sessions_[b.name] = std::move(*entry);
  }
  return engine;
}

base::Status Engine::openReceivers(const std::vector<model::BfdInstance>& config) {
  for (const model::BfdInstance& b : config) {
    base::UniqueFd& rx = b.neighbor.isV4() ? rx_v4_ : rx_v6_;
    if (rx) continue;
    const base::IpAddress listen = b.neighbor.isV4()
                                       ? options_.listen_v4
                                       : options_.listen_v6.value_or(*base::IpAddress::parse("::"));
    auto fd = openReceiver(listen, options_.port);
    if (!fd) return fd.error();
    rx = std::move(*fd);
    const int raw = rx.get();
    KEEL_TRY(loop_.watch(raw, EPOLLIN, [this, raw](std::uint32_t) { onReadable(raw); }));
  }
  return base::ok();
}

std::uint32_t Engine::newDiscriminator() {
  std::uniform_int_distribution<std::uint32_t> draw(1, 0xffffffffU);
  for (;;) {
    const std::uint32_t d = draw(rng_);
    bool used = false;
    for (const auto& [name, e] : sessions_)
      used = used || e->runner->session().localDiscriminator() == d;
    if (!used) return d;
  }
}

base::Result<std::unique_ptr<Engine::Entry>> Engine::openSession(const model::BfdInstance& b) {
  auto entry = std::make_unique<Entry>();
  entry->config = b;
  auto fd = openSender(b.neighbor.family(), b.source, sendTtl(b), rng_);
  if (!fd) return fd.error();
  entry->tx = std::move(*fd);
  Entry* raw = entry.get();
  SessionRunner::Callbacks cb;
  cb.send = [this, raw](const ControlPacket& p) { send(*raw, p); };
  cb.on_transition = [this, raw](const Transition& t) {
    const Session& s = raw->runner->session();
    base::log(t.to == State::Up ? base::LogLevel::Info : base::LogLevel::Warning,
              "BFD_Instance({}) Entering {} state (Local diagnostic - {}, Remote diagnostic - {})",
              raw->config.name, stateName(t.to), diagName(t.diag), diagName(s.remoteDiag()));
    publish(*raw);
  };
  cb.on_expired = [raw](base::Duration since, base::Duration detect) {
    base::logWarning("BFD_Instance({}) Expired after {:.3f} ms (detection time {:.3f} ms)",
                     raw->config.name, ms(since), ms(detect));
  };
  entry->runner =
      std::make_unique<SessionRunner>(loop_.clock(), paramsOf(b), newDiscriminator(),
                                      static_cast<std::uint32_t>(rng_()), std::move(cb));
  return entry;
}

void Engine::start() {
  started_ = true;
  for (auto& [name, e] : sessions_) {
    e->running = true;
    publish(*e);
    e->runner->start();
  }
}

void Engine::stop() {
  for (auto& [name, e] : sessions_) e->runner->stop();
  started_ = false;
}

void Engine::closeSession(Entry& e) {
  e.runner->stop();
  events_->forget(e.config.name);
}

void Engine::reload(const std::vector<model::BfdInstance>& config) {
  if (auto s = openReceivers(config); !s) base::logError("BFD: {}", s.error().str());
  std::map<std::string, std::unique_ptr<Entry>> next;
  for (const model::BfdInstance& b : config) {
    auto it = sessions_.find(b.name);
    if (it != sessions_.end() && sameEndpointConfig(it->second->config, b)) {
      it->second->config = b;
      it->second->runner->setParams(paramsOf(b));
      next[b.name] = std::move(it->second);
      sessions_.erase(it);
      continue;
    }
    auto entry = openSession(b);
    if (!entry) {
      base::logError("BFD_Instance({}) not started: {}", b.name, entry.error().str());
      continue;
    }
    next[b.name] = std::move(*entry);
  }
  for (auto& [name, e] : sessions_) {
    closeSession(*e);
  }
  sessions_ = std::move(next);
  for (auto& [name, e] : sessions_) {
    if (started_ && !e->running) {
      e->running = true;
      publish(*e);
      e->runner->start();
    }
  }
}

void Engine::publish(const Entry& e) {
  const Session& s = e.runner->session();
  events_->publish(SessionEvent{e.config.name, s.state(), s.diag(), e.config.notify_vrrp,
                                e.config.notify_checker});
}

void Engine::send(Entry& e, const ControlPacket& p) {
  const auto bytes = encode(p);
  if (auto s = sendTo(e.tx.get(), base::Endpoint(e.config.neighbor, options_.port), bytes); !s) {
    ++e.send_errors;
    base::logLimited("bfd-send-" + e.config.name, base::LogLevel::Warning, "BFD_Instance({}) {}",
                     e.config.name, s.error().str());
  }
}

void Engine::onReadable(int fd) {
  std::array<std::uint8_t, kBufferSize> buffer{};
  for (int i = 0; i < kReadBurst; ++i) {
    auto got = receiveOne(fd, buffer);
    if (!got) {
      base::logLimited("bfd-recv", base::LogLevel::Warning, "BFD: {}", got.error().str());
      return;
    }
    if (!*got) return;
    const Datagram& d = **got;
    if (d.truncated) {
      drop(DropReason::BadLength, d.source);
      continue;
    }
    handle(std::span(buffer.data(), d.size), d.source, d.ttl);
  }
}

void Engine::handle(std::span<const std::uint8_t> bytes, const base::Endpoint& from,
                    std::optional<int> ttl) {
  auto parsed = parse(bytes);
  if (auto* why = std::get_if<DropReason>(&parsed)) {
    drop(*why, from);
    return;
  }
  const ControlPacket& p = std::get<ControlPacket>(parsed);
  DropReason why = DropReason::UnknownNeighbor;
  Entry* e = lookup(p, from.address(), why);
  if (e == nullptr) {
    drop(why, from);
    return;
  }
  if (!ttlAllowed(e->config, ttl)) {
    drop(DropReason::BadTtl, from);
    return;
  }
  if (auto dropped = e->runner->receive(p)) drop(*dropped, from);
}

Engine::Entry* Engine::lookup(const ControlPacket& p, const base::IpAddress& from,
                              DropReason& why) {
  for (auto& [name, e] : sessions_) {
    if (p.your_discriminator != 0) {
      if (e->runner->session().localDiscriminator() != p.your_discriminator) continue;
      if (e->config.neighbor == from) return e.get();
      why = DropReason::WrongSource;
      return nullptr;
    }
    if (e->config.neighbor == from) return e.get();
  }
  why = p.your_discriminator != 0 ? DropReason::UnknownDiscr : DropReason::UnknownNeighbor;
  return nullptr;
}

void Engine::drop(DropReason r, const base::Endpoint& from) {
  ++drops_[static_cast<std::size_t>(r)];
  base::logLimited(fmt::format("bfd-drop-{}", dropReasonName(r)), base::LogLevel::Info,
                   "BFD: dropped a packet from {}: {}", from.str(), dropReasonName(r));
}

std::vector<SessionView> Engine::sessions() const {
  std::vector<SessionView> out;
  for (const auto& [name, e] : sessions_) {
    const Session& s = e->runner->session();
    out.push_back(SessionView{name, e->config.neighbor, s.state(), s.diag(), s.remoteState(),
                              s.remoteDiag(), s.localDiscriminator(), s.remoteDiscriminator(),
                              s.detectTime(), s.txIntervalInUse(), e->runner->packetsSent(),
                              e->runner->packetsReceived(), e->send_errors});
  }
  return out;
}

std::string Engine::statsText() const {
  std::string out;
  for (const SessionView& v : sessions()) {
    out += fmt::format(
        "BFD_Instance = {}\n  Neighbor = {}\n  State = {} ({})\n  Remote state = {} ({})\n"
        "  Discriminators = {} local, {} remote\n  Detection time = {:.3f} ms\n"
        "  Transmit interval = {:.3f} ms\n  Packets sent = {}\n  Packets received = {}\n"
        "  Send errors = {}\n",
        v.name, v.neighbor.str(), stateName(v.state), diagName(v.diag), stateName(v.remote_state),
        diagName(v.remote_diag), v.local_discriminator, v.remote_discriminator, ms(v.detect_time),
        ms(v.tx_interval), v.sent, v.received, v.send_errors);
  }
  out += "BFD dropped packets:\n";
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    out += fmt::format("  {} = {}\n", dropReasonName(static_cast<DropReason>(i)), drops_[i]);
  }
  return out;
}

}  // namespace keel::bfd
