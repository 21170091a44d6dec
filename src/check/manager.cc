#include "check/manager.h"

#include <random>
#include <utility>

#include "base/log.h"
#include "check/names.h"
#include "model/validate.h"

namespace keel::check {

struct CheckManager::CheckerEntry {
  model::Checker config;
  std::string virtualhost;
  std::string kind;
  std::unique_ptr<Checker> checker;  // null: the kind is not supported
  std::string unsupported;           // why, when checker is null
  std::optional<int> weight;         // the last weight the probe reported (misc_dynamic)
};

struct CheckManager::RealEntry {
  std::string vs_text;  // "[10.0.0.1]:tcp:80"
  std::string rs_text;  // "[10.0.0.2]:tcp:80"
  int configured_weight = 1;
  bool ha_suspend = false;
  std::optional<base::IpAddress> vs_address;
  std::vector<std::unique_ptr<CheckerEntry>> checkers;
  bool alive = true;
  std::optional<int> weight;
};

namespace {

std::string virtualhostOf(const model::VirtualServer& vs, const model::Checker& checker) {
  if (const auto* http = std::get_if<model::HttpCheck>(&checker.kind)) {
    if (!http->virtualhost.empty()) return http->virtualhost;
  }
  return vs.virtualhost;
}

CheckManager::Random defaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

CheckManager::CheckManager(event::Loop& loop, std::shared_ptr<const model::Config> config,
                           ProbeFactory factory, OnHealth on_health, Random random)
    : loop_(loop),
      factory_(std::move(factory)),
      on_health_(std::move(on_health)),
      random_(random ? std::move(random) : defaultRandom()) {
  reload(std::move(config));
}

CheckManager::~CheckManager() = default;

void CheckManager::reload(std::shared_ptr<const model::Config> config) {
  config_ = std::move(config);
  Reals old = std::move(reals_);
  reals_.clear();
  Reals fresh = build(*config_, old);
  std::vector<model::HealthEvent> events;
  for (const auto& [id, real] : fresh) {
    auto it = old.find(id);
    if (it == old.end()) continue;
    if (real->alive != it->second->alive || real->weight != it->second->weight) {
      events.push_back({id, real->alive, real->weight});
    }
  }
  reals_ = std::move(fresh);
  old.clear();  // removed checkers stop here
  for (const model::HealthEvent& event : events) on_health_(event);
}

CheckManager::Reals CheckManager::build(const model::Config& config, Reals& old) {
  Reals out;
  for (const model::VirtualServer& vs : config.virtual_servers) {
    const model::VirtualServerId vs_id = model::VirtualServerId::of(vs);
    for (const model::RealServer& rs : vs.real_servers) {
      model::RealServerId id{vs_id, rs.address, rs.port};
      if (out.count(id) != 0) continue;  // a duplicate real server: validate reports it
      auto prev = old.find(id);
      RealEntry* prev_entry = prev != old.end() ? prev->second.get() : nullptr;
      auto entry = buildReal(vs, rs, id, prev_entry);
      out.emplace(std::move(id), std::move(entry));
    }
  }
  return out;
}

std::unique_ptr<CheckManager::RealEntry> CheckManager::buildReal(const model::VirtualServer& vs,
                                                                 const model::RealServer& rs,
                                                                 const model::RealServerId& id,
                                                                 RealEntry* old) {
  auto real = std::make_unique<RealEntry>();
  real->vs_text = virtualServerText(vs);
  real->rs_text = realServerText(vs, rs);
  real->configured_weight = rs.weight;
  real->ha_suspend = vs.ha_suspend;
  if (const auto* a = std::get_if<model::VsAddress>(&vs.key)) real->vs_address = a->address;
  std::vector<std::size_t> started;
  for (std::size_t i = 0; i < rs.checkers.size(); ++i) {
    const model::Checker& wanted = rs.checkers[i];
    if (old != nullptr && i < old->checkers.size() && old->checkers[i] &&
        old->checkers[i]->config == wanted &&
        old->checkers[i]->virtualhost == virtualhostOf(vs, wanted)) {
      real->checkers.push_back(std::move(old->checkers[i]));
      continue;
    }
    real->checkers.push_back(makeChecker(vs, rs, id, i));
    started.push_back(i);
  }
  real->alive = computeAlive(*real);
  real->weight = computeWeight(*real);
  const bool suspend = suspended(*real);
  for (const auto& entry : real->checkers) {
    if (!entry->checker) continue;
    if (suspend) {
      entry->checker->pause();
    } else {
      entry->checker->resume();
    }
  }
  for (std::size_t i : started) {
    Checker* c = real->checkers[i]->checker.get();
    if (c == nullptr) continue;
    base::logInfo("{}ctivating healthchecker for service {} for VS {}", suspend ? "Dea" : "A",
                  real->rs_text, real->vs_text);
    c->start(random_());
  }
  return real;
}

std::unique_ptr<CheckManager::CheckerEntry> CheckManager::makeChecker(
    const model::VirtualServer& vs, const model::RealServer& rs, const model::RealServerId& id,
    std::size_t index) {
  auto entry = std::make_unique<CheckerEntry>();
  entry->config = rs.checkers[index];
  entry->virtualhost = virtualhostOf(vs, entry->config);
  entry->kind = checkerKindName(entry->config);
  const ProbeTarget target =
      resolveTarget(entry->config, base::Endpoint(rs.address, rs.port), entry->virtualhost);
  base::Result<std::unique_ptr<Probe>> probe = factory_(loop_, entry->config, target);
  if (!probe || !*probe) {
    entry->unsupported = probe ? "no probe" : probe.error().str();
    base::logWarning("{} for service {} of VS {} ignored: {}", entry->kind, realServerText(vs, rs),
                     virtualServerText(vs), entry->unsupported);
    return entry;
  }
  entry->checker = std::make_unique<Checker>(
      loop_, entry->config, std::move(*probe),
      [this, id, index](const CheckDecision& decision, const ProbeResult& result) {
        onResult(id, index, decision, result);
      });
  return entry;
}

void CheckManager::onResult(const model::RealServerId& id, std::size_t index,
                            const CheckDecision& decision, const ProbeResult& result) {
  auto it = reals_.find(id);
  if (it == reals_.end() || index >= it->second->checkers.size()) return;
  RealEntry& real = *it->second;
  CheckerEntry& entry = *real.checkers[index];
  logResult(real, entry, decision, result);
  if (result.ok && result.weight) entry.weight = result.weight;
  const bool alive = computeAlive(real);
  const std::optional<int> weight = computeWeight(real);
  if (alive == real.alive && weight == real.weight) return;
  real.alive = alive;
  real.weight = weight;
  on_health_(model::HealthEvent{id, alive, weight});
}

void CheckManager::logResult(const RealEntry& real, const CheckerEntry& entry,
                             const CheckDecision& decision, const ProbeResult& result) const {
  const bool tcp = std::holds_alternative<model::TcpCheck>(entry.config.kind);
  if (decision.log_attempt_failure) {
    if (tcp) {
      base::logInfo("TCP connection to {} {}.", real.rs_text,
                    result.reason == "timeout" ? "timedout" : "failed");
    } else {
      base::logInfo("{} on service {} failed: {}.", entry.kind, real.rs_text, result.reason);
    }
  }
  if (!result.ok) base::logDebug("{} on service {}: {}", entry.kind, real.rs_text, result.reason);
  switch (decision.log) {
    case CheckLog::None:
      break;
    case CheckLog::Success:
      if (tcp) {
        base::logInfo("TCP connection to {} success.", real.rs_text);
      } else {
        base::logInfo("{} on service {} succeeded.", entry.kind, real.rs_text);
      }
      break;
    case CheckLog::Failed:
      base::logInfo("{} on service {} failed.", entry.kind, real.rs_text);
      break;
    case CheckLog::FailedAfterRetries:
      base::logInfo("{} on service {} failed after {} retries.", entry.kind, real.rs_text,
                    entry.config.timing.retry);
      break;
  }
}

bool CheckManager::computeAlive(const RealEntry& real) {
  for (const auto& entry : real.checkers) {
    if (entry->checker && !entry->checker->up()) return false;
  }
  return true;
}

// docs/reference/keepalived.md §3.3: configured weight plus each dynamic checker's delta; a checker
// reports the weight it would give the real server alone.
std::optional<int> CheckManager::computeWeight(const RealEntry& real) {
  std::optional<int> out;
  for (const auto& entry : real.checkers) {
    if (!entry->weight) continue;
    out = out.value_or(real.configured_weight) + (*entry->weight - real.configured_weight);
  }
  return out;
}

bool CheckManager::suspended(const RealEntry& real) const {
  return real.ha_suspend && real.vs_address && present_.count(*real.vs_address) == 0;
}

void CheckManager::setAddressPresent(const base::IpAddress& address, bool present) {
  if (present ? !present_.insert(address).second : present_.erase(address) == 0) return;
  for (const auto& [id, real] : reals_) {
    if (!real->ha_suspend || real->vs_address != address) continue;
    base::logInfo("{} healthchecker for service {} for VS {}",
                  present ? "Activating" : "Suspending", real->rs_text, real->vs_text);
    for (const auto& entry : real->checkers) {
      if (!entry->checker) continue;
      if (present) {
        entry->checker->resume();
      } else {
        entry->checker->pause();
      }
    }
  }
}

std::optional<bool> CheckManager::alive(const model::RealServerId& real) const {
  auto it = reals_.find(real);
  if (it == reals_.end()) return std::nullopt;
  return it->second->alive;
}

std::optional<int> CheckManager::weight(const model::RealServerId& real) const {
  auto it = reals_.find(real);
  if (it == reals_.end()) return std::nullopt;
  return it->second->weight;
}

std::vector<RealServerStatus> CheckManager::status() const {
  std::vector<RealServerStatus> out;
  for (const auto& [id, real] : reals_) {
    RealServerStatus s{id, real->alive, real->weight, {}};
    for (const auto& entry : real->checkers) {
      CheckerStatus c;
      c.kind = entry->kind;
      c.supported = entry->checker != nullptr;
      if (entry->checker) {
        c.up = entry->checker->up();
        c.has_run = entry->checker->state().hasRun();
        c.paused = entry->checker->paused();
        c.retries_done = entry->checker->state().retriesDone();
        c.last_reason = entry->checker->lastReason();
        c.last_duration = entry->checker->lastDuration();
        c.no_descriptor = entry->checker->noDescriptor();
      } else {
        c.last_reason = entry->unsupported;
      }
      s.checkers.push_back(std::move(c));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace keel::check
