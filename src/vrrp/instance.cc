#include "vrrp/instance.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>

#include "base/log.h"
#include "vrrp/notify.h"

namespace keel::vrrp {

namespace {

constexpr int kMaxPacketsPerWakeup = 64;  // then yield to the loop; the rest stays queued

bool isV6(const model::VrrpInstance& c) {
  return !c.virtual_ipaddress.empty() && c.virtual_ipaddress[0].address.address().isV6();
}

int versionOf(const model::VrrpInstance& c, const model::GlobalDefs& g) {
  if (isV6(c)) return 3;
  return c.version != 0 ? c.version : g.vrrp_version;
}

Micros toMicros(base::TimePoint t) {
  return std::chrono::duration_cast<Micros>(t.time_since_epoch());
}

base::TimePoint toTimePoint(Micros m) {
  return base::TimePoint(std::chrono::duration_cast<base::Duration>(m));
}

}  // namespace

std::unique_ptr<Instance> Instance::create(const model::VrrpInstance& config,
                                           InstanceContext context) {
  StateMachine machine(InstanceParams::from(config, *context.globals, base::IpAddress()));
  std::unique_ptr<Instance> self(new Instance(config, std::move(context), std::move(machine)));
  self->version_ = versionOf(config, *self->ctx_.globals);
  self->bind();
  return self;
}

Instance::Instance(const model::VrrpInstance& config, InstanceContext context, StateMachine machine)
    : config_(config),
      ctx_(std::move(context)),
      machine_(std::move(machine)),
      timer_(ctx_.loop->clock()),
      garp_timer_(ctx_.loop->clock()),
      refresh_timer_(ctx_.loop->clock()),
      rebind_timer_(ctx_.loop->clock()) {}

Instance::~Instance() { closeSockets(); }

InstanceParams Instance::params() const {
  return InstanceParams::from(config_, *ctx_.globals, source_);
}

Micros Instance::now() const { return toMicros(ctx_.loop->clock().now()); }

void Instance::start() { perform(machine_.start(now())); }

void Instance::stop() {
  Actions actions = machine_.stop(now());
  if (ctx_.keep_addresses_on_stop) {
    std::erase_if(actions,
                  [](const Action& a) { return std::holds_alternative<RemoveAddresses>(a); });
  }
  perform(actions);
  timer_.disarm();
  rebind_timer_.disarm();
}

void Instance::setTrackingFault(bool fault) {
  tracking_fault_ = fault;
  applyFault();
}

void Instance::applyFault() {
  perform(machine_.setFault(tracking_fault_ || !bind_fault_.empty(), now()));
}

void Instance::setPriorityDelta(int delta) { perform(machine_.setPriorityDelta(delta, now())); }

void Instance::perform(const Actions& actions) {
  for (const Action& a : actions) {
    if (const auto* send = std::get_if<SendAdvert>(&a)) {
      sendAdvert(send->priority);
    } else if (std::holds_alternative<AddAddresses>(a)) {
      changeAddresses(true);
    } else if (std::holds_alternative<RemoveAddresses>(a)) {
      changeAddresses(false);
    } else if (std::holds_alternative<SendGratuitous>(a)) {
      startGratuitous(config_.garp_master_repeat.value_or(ctx_.globals->vrrp_garp_master_repeat),
                      config_.garp_master_delay.value_or(ctx_.globals->vrrp_garp_master_delay));
    } else if (const auto* lower = std::get_if<HeardLowerPriority>(&a)) {
      const int repeat = config_.garp_lower_prio_repeat.value_or(
          ctx_.globals->vrrp_garp_lower_prio_repeat.value_or(
              config_.garp_master_repeat.value_or(ctx_.globals->vrrp_garp_master_repeat)));
      sendGratuitousBurst(repeat);
      ctx_.write_fifo(
          fmt::format("INSTANCE \"{}\" MASTER_RX_LOWER_PRI {}\n", name(), lower->priority));
    } else if (const auto* p = std::get_if<PriorityChanged>(&a)) {
      base::logInfo("({}) Changing effective priority to {}", name(), p->priority);
    } else if (const auto* n = std::get_if<Notify>(&a)) {
      notify(n->from, n->to);
    }
  }
  rearm();
  if (ctx_.after_input) ctx_.after_input(*this);
}

void Instance::rearm() {
  auto deadline = machine_.nextDeadline();
  if (!deadline) {
    timer_.disarm();
    return;
  }
  timer_.armAt(toTimePoint(*deadline), [this] { perform(machine_.onTimer(now())); });
}

void Instance::sendAdvert(int priority) {
  if (!socket_) return;  // not bound: FAULT follows
  Advert advert;
  advert.version = version_;
  advert.vrid = static_cast<std::uint8_t>(config_.virtual_router_id);
  advert.priority = static_cast<std::uint8_t>(priority);
  advert.max_advert_int = std::chrono::duration_cast<Centis>(machine_.params().advert_int);
  advert.source = source_;
  for (const model::VirtualIp& vip : config_.virtual_ipaddress) {
    if (vip.address.address().isV6() == source_.isV6() && advert.addresses.size() < kMaxAddresses) {
      advert.addresses.push_back(vip.address.address());
    }
  }
  EncodeOptions options;
  options.auth_type = config_.auth_type;
  options.password = authPassword(config_.auth_pass);
  for (const base::IpAddress& dest : destinations_) {
    options.destination = dest;
    auto sent = socket_->send(encodeAdvert(advert, options), dest);
    if (!sent) {
      base::logLimited(name() + " send", base::LogLevel::Warning, "({}) {}", name(),
                       sent.error().str());
      continue;
    }
    ++counters_.adverts_sent;
  }
}

void Instance::changeAddresses(bool add) {
  if (!add) {
    garp_timer_.disarm();
    refresh_timer_.disarm();
  }
  base::logInfo("({}) {} VIPs.", name(), add ? "Setting" : "Removing");
  for (const model::VirtualIp& vip : config_.virtual_ipaddress) changeAddress(vip, add);
  for (const model::VirtualIp& vip : config_.virtual_ipaddress_excluded) changeAddress(vip, add);
}

void Instance::changeAddress(const model::VirtualIp& vip, bool add) {
  const int index = indexOf(vip);
  if (index == 0) {
    // Gone with its interface; a VIP cannot be put on a missing one.
    if (add) base::logError("({}) no interface for {}", name(), vip.address.str());
    return;
  }
  auto done = add ? ctx_.netlink->addAddress(index, vip.address, vip.label, nullptr)
                  : ctx_.netlink->deleteAddress(index, vip.address, nullptr);
  if (!done) base::logError("({}) {}", name(), done.error().str());
}

void Instance::removeStaleAddresses() {
  for (const auto* list : {&config_.virtual_ipaddress, &config_.virtual_ipaddress_excluded}) {
    for (const model::VirtualIp& vip : *list) {
      const int index = indexOf(vip);
      bool absent = true;
      if (index == 0) continue;
      auto done = ctx_.netlink->deleteAddress(index, vip.address, &absent);
      if (!done) {
        base::logError("({}) {}", name(), done.error().str());
      } else if (!absent) {
        base::logInfo("({}) Removed {} left on {} by an earlier run", name(), vip.address.str(),
                      vip.dev.empty() ? config_.interface : vip.dev);
      }
    }
  }
}

void Instance::reconfigure(const model::VrrpInstance& config, const model::GlobalDefs* globals,
                           const std::vector<model::VirtualIp>& added,
                           const std::vector<model::VirtualIp>& removed) {
  const bool master = machine_.state() == State::Master;
  for (const model::VirtualIp& vip : removed) {
    if (master) changeAddress(vip, false);
  }
  config_ = config;
  ctx_.globals = globals;
  perform(machine_.reconfigure(params()));
  if (!master) return;
  const int repeat = config_.garp_master_repeat.value_or(ctx_.globals->vrrp_garp_master_repeat);
  for (const model::VirtualIp& vip : added) {
    changeAddress(vip, true);
    announce(vip, repeat);
  }
}

void Instance::startGratuitous(int repeat, base::Duration delay) {
  sendGratuitousBurst(repeat);
  if (delay.count() > 0) {
    garp_timer_.armAfter(delay, [this, repeat] {
      if (machine_.state() == State::Master) sendGratuitousBurst(repeat);
    });
  }
  const auto refresh = config_.garp_master_refresh.value_or(ctx_.globals->vrrp_garp_master_refresh);
  if (refresh.count() > 0) {
    const int refresh_repeat =
        config_.garp_master_refresh_repeat.value_or(ctx_.globals->vrrp_garp_master_refresh_repeat);
    refresh_timer_.armAfter(refresh, [this, refresh_repeat] {
      if (machine_.state() == State::Master) startGratuitous(refresh_repeat, base::Duration{});
    });
  }
}

// Addresses on the instance's own interface are announced from its MAC; a VIP put on another
// device is announced by that device's own neighbour handling.
void Instance::sendGratuitousBurst(int repeat) {
  for (const model::VirtualIp& vip : config_.virtual_ipaddress) announce(vip, repeat);
  for (const model::VirtualIp& vip : config_.virtual_ipaddress_excluded) announce(vip, repeat);
}

void Instance::announce(const model::VirtualIp& vip, int repeat) {
  if (!frames_ || (!vip.dev.empty() && vip.dev != config_.interface)) return;
  const base::IpAddress& a = vip.address.address();
  if (a.isV6() && !source_.isV6()) return;  // no link-local source to send an NA from
  const auto frame = a.isV4() ? net::gratuitousArp(mac_, a) : net::unsolicitedNa(mac_, source_, a);
  for (int i = 0; i < repeat; ++i) {
    if (auto sent = frames_->send(frame); !sent) {
      base::logLimited(name() + " garp", base::LogLevel::Warning, "({}) {}", name(),
                       sent.error().str());
      return;
    }
  }
}

void Instance::notify(State from, State to) {
  ++counters_.transitions;
  if (to == State::Init) {
    base::logInfo("({}) Stopped", name());
  } else if (to == State::Fault && !bind_fault_.empty()) {
    base::logInfo("({}) Entering FAULT STATE ({})", name(), bind_fault_);
  } else {
    base::logInfo("({}) Entering {} STATE{}", name(), stateName(to),
                  from == State::Init ? " (init)" : "");
  }
  const NotifySubject who{false, name(), to == State::Init ? 0 : machine_.effectivePriority()};
  for (const model::Script& s : notifyScripts(config_.notify, who, to)) {
    ctx_.run_script(s, fmt::format("({}) notify", name()));
  }
  ctx_.write_fifo(fifoLine(who, to));
  if (ctx_.on_transition) ctx_.on_transition(name(), from, to);
}

ReceiveConfig Instance::receiveConfig() const {
  ReceiveConfig rx;
  rx.version = version_;
  rx.vrid = static_cast<std::uint8_t>(config_.virtual_router_id);
  rx.ipv6 = source_.isV6();
  rx.auth_type = config_.auth_type;
  rx.password = authPassword(config_.auth_pass);
  rx.advert_int = std::chrono::duration_cast<Centis>(machine_.params().advert_int);
  for (const model::VirtualIp& vip : config_.virtual_ipaddress) {
    if (vip.address.address().isV6() == rx.ipv6) rx.addresses.push_back(vip.address.address());
  }
  rx.skip_check_adv_addr =
      config_.skip_check_adv_addr.value_or(ctx_.globals->vrrp_skip_check_adv_addr);
  rx.current_master = machine_.masterAddress();
  rx.unicast = !config_.unicast_peer.empty();
  for (const model::UnicastPeer& p : config_.unicast_peer) rx.unicast_peers.push_back(p.address);
  rx.check_unicast_src = ctx_.globals->vrrp_check_unicast_src || config_.check_unicast_src;
  rx.interface_prefixes = ctx_.host->prefixes(ifindex_);
  rx.local_addresses = ctx_.host->localAddresses();
  return rx;
}

void Instance::onReadable() {
  for (int i = 0; i < kMaxPacketsPerWakeup && socket_; ++i) {
    auto got = socket_->receive();
    if (!got) {
      base::logLimited(name() + " recv", base::LogLevel::Warning, "({}) {}", name(),
                       got.error().str());
      return;
    }
    if (!*got) return;
    handlePacket(**got);
  }
}

void Instance::handlePacket(const net::RawPacket& packet) {
  const bool v6 = source_.isV6();
  const auto vrid = v6 ? peekIpv6Vrid(packet.bytes) : peekIpv4Vrid(packet.bytes);
  if (vrid && *vrid != config_.virtual_router_id)
    return;  // another instance's (keepalived: ignored)
  const ReceiveConfig rx = receiveConfig();
  const Received r =
      v6 ? parseIpv6Advert(packet.bytes, packet.source, packet.destination, packet.ttl, rx)
         : parseIpv4Advert(packet.bytes, rx);
  if (const auto* reason = std::get_if<DropReason>(&r)) {
    counters_.drops.count(*reason);
    base::logLimited(fmt::format("{} drop {}", name(), dropReasonName(*reason)),
                     base::LogLevel::Info, "({}) advert from {} dropped: {}", name(),
                     packet.source.str(), dropReasonName(*reason));
    if (ctx_.after_input) ctx_.after_input(*this);
    return;
  }
  const Advert& advert = std::get<Advert>(r);
  ++counters_.adverts_received;
  if (advert.priority == 0) ++counters_.priority_zero_received;
  perform(machine_.onAdvert(advert, now()));
}

InstanceStatus Instance::status() const {
  InstanceStatus s;
  s.name = config_.name;
  s.state = machine_.state();
  s.interface = config_.interface;
  s.vrid = config_.virtual_router_id;
  s.priority = config_.priority;
  s.effective_priority = machine_.effectivePriority();
  const auto master = machine_.masterAddress();
  s.master = master ? master->str() : "";
  for (const model::VirtualIp& v : config_.virtual_ipaddress) s.vips.push_back(v.address);
  for (const model::VirtualIp& v : config_.virtual_ipaddress_excluded) {
    s.excluded_vips.push_back(v.address);
  }
  s.fault = bind_fault_;
  s.counters = counters_;
  return s;
}

}  // namespace keel::vrrp
