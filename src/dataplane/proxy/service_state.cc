#include "dataplane/proxy/service_state.h"

#include <algorithm>
#include <utility>

#include "lb/decide.h"

namespace keel::dataplane::proxy {

namespace {

std::uint64_t load(const std::atomic<std::uint64_t>& a) {
  return a.load(std::memory_order_relaxed);
}

std::uint32_t count(const std::atomic<std::int64_t>& a) {
  return static_cast<std::uint32_t>(std::max<std::int64_t>(0, a.load(std::memory_order_relaxed)));
}

void add(Counters& sum, const Counters& c) {
  sum.conns += c.conns;
  sum.in_packets += c.in_packets;
  sum.in_bytes += c.in_bytes;
  sum.out_packets += c.out_packets;
  sum.out_bytes += c.out_bytes;
}

}  // namespace

Counters RealState::counters() const {
  return {load(conns), load(in_packets), load(in_bytes), load(out_packets), load(out_bytes)};
}

base::Result<std::shared_ptr<ServiceState>> ServiceState::make(const lb::Service& service) {
  std::shared_ptr<ServiceState> s(new ServiceState(service.key));
  if (auto r = s->update(service); !r) return r.error();
  return s;
}

base::Result<void> ServiceState::update(const lb::Service& service) {
  auto scheduler = lb::makeScheduler(service.scheduler, service.scheduler_flags);
  if (!scheduler) return scheduler.error();
  std::lock_guard lock(mu_);
  std::vector<RealStatePtr> reals;
  for (const lb::Real& r : service.reals) {
    auto it = std::find_if(reals_.begin(), reals_.end(),
                           [&](const RealStatePtr& p) { return p->key == r.key; });
    reals.push_back(it != reals_.end() ? *it : std::make_shared<RealState>(r.key));
  }
  for (const RealStatePtr& old : reals_) {
    if (service.find(old->key) == nullptr) {
      old->removed.store(true);
      persistence_.dropReal(key_, old->key);
    }
  }
  reals_ = std::move(reals);
  service_ = service;
  scheduler_ = std::move(*scheduler);
  std::vector<lb::Dest> dests = lb::destsOf(service_);
  scheduler_->update(dests);
  return {};
}

std::optional<Pick> ServiceState::pick(const lb::Flow& flow, std::chrono::microseconds now,
                                       const RealState* after) {
  std::lock_guard lock(mu_);
  if (after != nullptr) return nextAfter(after, flow, now);
  std::vector<lb::Dest> dests = lb::destsOf(service_);
  for (std::size_t i = 0; i < dests.size(); ++i) {
    dests[i].active = count(reals_[i]->active);
    dests[i].inactive = count(reals_[i]->inactive);
    const std::uint32_t upper = service_.reals[i].upper_threshold;
    dests[i].overloaded = upper != 0 && dests[i].active + dests[i].inactive >= upper;
  }
  lb::Decision d = lb::decide(service_, dests, *scheduler_, &persistence_, flow,
                              {.now = now, .random = static_cast<std::uint64_t>(now.count())});
  if (!d.dest) return std::nullopt;
  return Pick{reals_[*d.dest], d.persistence};
}

// The retry after a failed connect: the next real after `failed` in the table that takes new
// connections (weight > 0), not the failed one.
std::optional<Pick> ServiceState::nextAfter(const RealState* failed, const lb::Flow& flow,
                                            std::chrono::microseconds now) {
  const std::size_t n = reals_.size();
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (reals_[i].get() == failed) start = i + 1;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    if (reals_[i].get() == failed || service_.reals[i].weight <= 0) continue;
    std::optional<lb::TemplateKey> tpl;
    if (service_.persistent()) {
      tpl = lb::templateKey(service_, flow.client);
      persistence_.connectionStarted(*tpl, reals_[i]->key, service_.persistence_timeout, now);
    }
    return Pick{reals_[i], tpl};
  }
  return std::nullopt;
}

void ServiceState::ended(const std::optional<lb::TemplateKey>& persistence,
                         std::chrono::microseconds now) {
  if (!persistence) return;
  std::lock_guard lock(mu_);
  persistence_.connectionEnded(*persistence, now);
  persistence_.expire(now);
}

ServiceStats ServiceState::stats() const {
  std::lock_guard lock(mu_);
  ServiceStats s{key_, {}, {}};
  for (const RealStatePtr& r : reals_) {
    RealStats rs{r->key, r->counters(), count(r->active), count(r->inactive)};
    add(s.counters, rs.counters);
    s.reals.push_back(rs);
  }
  return s;
}

}  // namespace keel::dataplane::proxy
