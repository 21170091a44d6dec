#include "dataplane/proxy/proxy_dataplane.h"

#include <thread>

#include <fmt/format.h>

namespace keel::dataplane::proxy {

std::string unsupportedReason(const lb::Service& service) {
  if (service.key.isFwmark()) {
    return fmt::format("{}: fwmark services need the IPVS data plane", service.key.str());
  }
  for (const lb::Real& r : service.reals) {
    if (r.forwarding != lb::Forwarding::Nat) {
      return fmt::format(
          "{}: lb_kind {} needs the XDP data plane (the proxy forwards as NAT only); real {}",
          service.key.str(), r.forwarding == lb::Forwarding::Dr ? "DR" : "TUN", r.key.str());
    }
  }
  return {};
}

base::Result<std::unique_ptr<ProxyDataplane>> ProxyDataplane::start(std::size_t workers,
                                                                    Limits limits) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  std::unique_ptr<ProxyDataplane> p(new ProxyDataplane(limits));
  for (std::size_t i = 0; i < workers; ++i) {
    auto w = Worker::start(*p->shared_);
    if (!w) return w.error();
    p->workers_.push_back(std::move(*w));
  }
  return p;
}

ProxyDataplane::~ProxyDataplane() { workers_.clear(); }

base::Status ProxyDataplane::apply(std::shared_ptr<const lb::ServiceTable> table) {
  auto snap = std::make_shared<Snapshot>();
  std::map<lb::ServiceKey, ServiceStatePtr> states;
  std::vector<std::string> refused;
  for (const lb::ServicePtr& s : table->services) {
    if (std::string why = unsupportedReason(*s); !why.empty()) {
      refused.push_back(std::move(why));
      continue;
    }
    ServiceStatePtr state;
    if (auto it = states_.find(s->key); it != states_.end()) {
      state = it->second;
      if (auto r = state->update(*s); !r) {
        refused.push_back(fmt::format("{}: {}", s->key.str(), r.error().str()));
      }
    } else if (auto made = ServiceState::make(*s)) {
      state = std::move(*made);
    } else {
      refused.push_back(fmt::format("{}: {}", s->key.str(), made.error().str()));
      continue;
    }
    states.emplace(s->key, state);
    snap->services.push_back({s, state});
  }
  for (auto& [key, state] : states_) {
    if (states.count(key) == 0) {
      lb::Service gone;
      gone.key = key;
      (void)state->update(gone);  // every real removed: their connections close
    }
  }
  states_ = std::move(states);
  snapshot_ = snap;
  for (const auto& w : workers_) w->publish(snap);
  if (refused.empty()) return {};
  return base::makeError(base::ErrorCode::InvalidArgument,
                         fmt::format("proxy data plane refuses {}", fmt::join(refused, "; ")));
}

base::Result<std::vector<ServiceStats>> ProxyDataplane::stats() const {
  std::vector<ServiceStats> out;
  if (!snapshot_) return out;
  for (const Snapshot::Entry& e : snapshot_->services) out.push_back(e.state->stats());
  return out;
}

base::Result<std::vector<std::pair<std::string, std::uint64_t>>> ProxyDataplane::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (int i = 0; i < static_cast<int>(Counter::Count); ++i) {
    const auto c = static_cast<Counter>(i);
    out.emplace_back(std::string(counterName(c)), shared_->value(c));
  }
  return out;
}

base::Result<std::vector<Connection>> ProxyDataplane::connections(std::size_t limit) const {
  std::vector<Connection> out;
  for (const auto& w : workers_) w->connections(out, limit);
  return out;
}

}  // namespace keel::dataplane::proxy
