#include "lb/desired_state.h"

#include <algorithm>

#include "model/validate.h"

namespace keel::lb {

namespace {

Forwarding forwardingOf(model::Forwarding f) {
  switch (f) {
    case model::Forwarding::Dr:
      return Forwarding::Dr;
    case model::Forwarding::Tun:
      return Forwarding::Tun;
    case model::Forwarding::Nat:
      break;
  }
  return Forwarding::Nat;
}

// Group ranges differ only in their last byte (IPv4) or last 16-bit group (IPv6).
base::IpAddress nextAddress(const base::IpAddress& a) {
  if (a.isV4()) return base::IpAddress::v4(a.v4HostOrder() + 1);
  std::array<std::uint8_t, 16> b{};
  std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
  for (int i = 15; i >= 0 && ++b[static_cast<std::size_t>(i)] == 0; --i) {
  }
  return base::IpAddress::fromV6Bytes(b);
}

// A fwmark service's family: its real servers', IPv4 when it has none.
base::IpAddress fwmarkAddress(const model::VirtualServer& vs) {
  if (!vs.real_servers.empty() && vs.real_servers.front().address.isV6()) {
    return base::IpAddress::fromV6Bytes({});
  }
  return base::IpAddress::v4(0);
}

void addGroupKeys(const model::VirtualServerGroup& group, const model::VirtualServer& vs,
                  std::vector<ServiceKey>& out) {
  const Protocol proto = vs.protocol;
  for (const model::VsGroupEntry& e : group.entries) {
    if (e.fwmark) {
      out.push_back({fwmarkAddress(vs), 0, Protocol::Tcp, *e.fwmark});
      continue;
    }
    for (base::IpAddress a = e.first;; a = nextAddress(a)) {
      out.push_back({a, e.port, proto, 0});
      if (a == e.last) break;
    }
  }
}

Tunnel tunnelOf(const model::TunnelOptions& t) {
  Tunnel out;
  out.type = t.type == model::TunnelType::Gue   ? TunnelType::Gue
             : t.type == model::TunnelType::Gre ? TunnelType::Gre
                                                : TunnelType::Ipip;
  out.port = t.port;
  out.csum = t.checksum == model::TunnelChecksum::Csum;
  out.remcsum = t.checksum == model::TunnelChecksum::RemCsum;
  return out;
}

bool startsAlive(const model::RealServer& rs) {
  return std::none_of(rs.checkers.begin(), rs.checkers.end(),
                      [](const model::Checker& c) { return c.timing.alpha; });
}

Service serviceSettings(const model::VirtualServer& vs) {
  Service s;
  s.scheduler = vs.scheduler;
  s.scheduler_flags = vs.scheduler_flags;
  s.persistence_timeout = vs.persistence_timeout;
  if (vs.persistence_granularity) {
    s.persistence_prefix = static_cast<std::uint8_t>(vs.persistence_granularity->length());
  }
  s.one_packet = vs.ops;
  return s;
}

Real sorryReal(const model::VirtualServer& vs, const model::SorryServer& sorry) {
  Real r;
  r.key = {sorry.address, sorry.port};
  r.forwarding = forwardingOf(sorry.forwarding.value_or(vs.forwarding));
  if (r.forwarding == Forwarding::Tun) r.tunnel = tunnelOf(vs.tunnel);
  r.sorry = true;
  return r;
}

}  // namespace

std::vector<ServiceKey> serviceKeys(const model::Config& config, const model::VirtualServer& vs) {
  std::vector<ServiceKey> out;
  if (const auto* a = std::get_if<model::VsAddress>(&vs.key)) {
    out.push_back({a->address, a->port, vs.protocol, 0});
  } else if (const auto* f = std::get_if<model::VsFwmark>(&vs.key)) {
    out.push_back({fwmarkAddress(vs), 0, Protocol::Tcp, f->mark});
  } else {
    const std::string& name = std::get<model::VsGroup>(vs.key).name;
    for (const model::VirtualServerGroup& g : config.virtual_server_groups) {
      if (g.name == name) addGroupKeys(g, vs, out);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

DesiredState::DesiredState(std::shared_ptr<const model::Config> config)
    : config_(std::move(config)) {
  startReals(*config_);
  for (const model::VirtualServer& vs : config_->virtual_servers) evaluateQuorum(vs, true);
  rebuild();
}

void DesiredState::startReals(const model::Config& config) {
  std::map<model::RealServerId, RealState> reals;
  for (const model::VirtualServer& vs : config.virtual_servers) {
    const model::VirtualServerId vs_id = model::VirtualServerId::of(vs);
    for (const model::RealServer& rs : vs.real_servers) {
      model::RealServerId id{vs_id, rs.address, rs.port};
      auto old = reals_.find(id);
      RealState state = old != reals_.end() ? old->second : RealState{startsAlive(rs), {}};
      if (rs.checkers.empty()) state = RealState{};
      reals.emplace(std::move(id), state);
    }
  }
  reals_ = std::move(reals);
}

std::vector<QuorumChange> DesiredState::reload(std::shared_ptr<const model::Config> config) {
  config_ = std::move(config);
  startReals(*config_);
  std::map<model::VirtualServerId, VsState> old = std::move(servers_);
  servers_.clear();
  std::vector<QuorumChange> changes;
  for (const model::VirtualServer& vs : config_->virtual_servers) {
    const model::VirtualServerId id = model::VirtualServerId::of(vs);
    auto it = old.find(id);
    if (it == old.end()) {
      evaluateQuorum(vs, true);
      continue;
    }
    servers_[id] = it->second;
    if (auto change = evaluateQuorum(vs, false)) changes.push_back(*change);
  }
  rebuild();
  return changes;
}

std::vector<QuorumChange> DesiredState::onHealth(const model::HealthEvent& event, bool* changed) {
  if (changed != nullptr) *changed = false;
  auto it = reals_.find(event.real);
  if (it == reals_.end()) return {};
  RealState next{event.up, event.weight ? event.weight : it->second.weight};
  if (next.alive == it->second.alive && next.weight == it->second.weight) return {};
  it->second = next;
  std::vector<QuorumChange> changes;
  auto before = table_;
  auto [first, last] = by_id_.equal_range(event.real.virtual_server);
  for (auto vs = first; vs != last; ++vs) {
    if (auto change = evaluateQuorum(*vs->second, false)) changes.push_back(*change);
    rebuildServer(*vs->second);
  }
  if (changed != nullptr) *changed = !(*before == *table_);
  return changes;
}

int DesiredState::weightSum(const model::VirtualServer& vs,
                            const model::VirtualServerId& id) const {
  int sum = 0;
  for (const model::RealServer& rs : vs.real_servers) {
    auto it = reals_.find({id, rs.address, rs.port});
    if (it != reals_.end() && it->second.alive) sum += it->second.weight.value_or(rs.weight);
  }
  return sum;
}

// docs/reference/keepalived.md §3.6: lost when up and (sum == 0 or sum < quorum - hysteresis);
// gained when down and sum >= quorum + hysteresis. At start the state is simply sum >= quorum.
std::optional<QuorumChange> DesiredState::evaluateQuorum(const model::VirtualServer& vs,
                                                         bool initial) {
  model::VirtualServerId id = model::VirtualServerId::of(vs);
  const int sum = weightSum(vs, id);
  VsState& state = servers_[id];
  if (initial) {
    state.quorum_up = sum >= vs.quorum;
    return std::nullopt;
  }
  bool up = state.quorum_up;
  if (up && (sum == 0 || sum < vs.quorum - vs.hysteresis)) up = false;
  if (!up && sum >= vs.quorum + vs.hysteresis) up = true;
  if (up == state.quorum_up) return std::nullopt;
  state.quorum_up = up;
  return QuorumChange{std::move(id), up, sum, vs.quorum, vs.hysteresis};
}

// The reals a virtual server forwards to now: the sorry server while quorum is lost (if it has
// one), else every alive real at its weight and every dead one with inhibit_on_failure at 0.
std::vector<Real> DesiredState::realsOf(const model::VirtualServer& vs,
                                        const model::VirtualServerId& id) const {
  std::vector<Real> out;
  if (vs.sorry_server && !servers_.at(id).quorum_up) {
    out.push_back(sorryReal(vs, *vs.sorry_server));
    return out;
  }
  for (const model::RealServer& rs : vs.real_servers) {
    const RealState& state = reals_.at({id, rs.address, rs.port});
    if (!state.alive && !rs.inhibit_on_failure) continue;
    Real r;
    r.key = {rs.address, rs.port};
    r.weight = state.alive ? state.weight.value_or(rs.weight) : 0;
    r.forwarding = forwardingOf(rs.forwarding.value_or(vs.forwarding));
    r.upper_threshold = static_cast<std::uint32_t>(std::max(rs.uthreshold, 0));
    r.lower_threshold = static_cast<std::uint32_t>(std::max(rs.lthreshold, 0));
    if (r.forwarding == Forwarding::Tun) r.tunnel = tunnelOf(rs.tunnel.value_or(vs.tunnel));
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const Real& a, const Real& b) { return a.key < b.key; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Real& a, const Real& b) { return a.key == b.key; }),
            out.end());
  return out;
}

std::vector<ServicePtr> DesiredState::buildServer(const model::VirtualServer& vs,
                                                  const model::VirtualServerId& id) const {
  Service settings = serviceSettings(vs);
  settings.reals = realsOf(vs, id);
  std::vector<ServicePtr> out;
  for (const ServiceKey& key : serviceKeys(*config_, vs)) {
    settings.key = key;
    out.push_back(std::make_shared<const Service>(settings));
  }
  return out;
}

// A service listed by two virtual servers (an address and a group naming it) keeps the first.
void DesiredState::rebuild() {
  by_server_.clear();
  by_id_.clear();
  for (const model::VirtualServer& vs : config_->virtual_servers) {
    by_id_.emplace(model::VirtualServerId::of(vs), &vs);
  }
  auto table = std::make_shared<ServiceTable>();
  for (const model::VirtualServer& vs : config_->virtual_servers) {
    model::VirtualServerId id = model::VirtualServerId::of(vs);
    auto built = buildServer(vs, id);
    table->services.insert(table->services.end(), built.begin(), built.end());
    by_server_.emplace(std::move(id), std::move(built));
  }
  auto byKey = [](const ServicePtr& a, const ServicePtr& b) { return a->key < b->key; };
  std::stable_sort(table->services.begin(), table->services.end(), byKey);
  table->services.erase(std::unique(table->services.begin(), table->services.end(),
                                    [](const auto& a, const auto& b) { return a->key == b->key; }),
                        table->services.end());
  table_ = std::move(table);
}

// After a health event only the services of one virtual server change; the new table shares
// every other Service with the old one, so building it and reconciling it cost little.
void DesiredState::rebuildServer(const model::VirtualServer& vs) {
  const model::VirtualServerId id = model::VirtualServerId::of(vs);
  auto old = by_server_.find(id);
  if (old == by_server_.end()) return rebuild();
  std::vector<ServicePtr> built = buildServer(vs, id);
  auto table = std::make_shared<ServiceTable>(*table_);
  for (std::size_t i = 0; i < built.size() && i < old->second.size(); ++i) {
    auto it = std::lower_bound(table->services.begin(), table->services.end(), built[i]->key,
                               [](const ServicePtr& s, const ServiceKey& k) { return s->key < k; });
    if (it != table->services.end() && *it == old->second[i]) *it = built[i];
  }
  old->second = std::move(built);
  table_ = std::move(table);
}

std::optional<bool> DesiredState::quorumUp(const model::VirtualServerId& virtual_server) const {
  auto it = servers_.find(virtual_server);
  if (it == servers_.end()) return std::nullopt;
  return it->second.quorum_up;
}

std::optional<bool> DesiredState::alive(const model::RealServerId& real) const {
  auto it = reals_.find(real);
  if (it == reals_.end()) return std::nullopt;
  return it->second.alive;
}

}  // namespace keel::lb
