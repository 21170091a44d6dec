#include "lvs/engine.h"

#include <utility>

#include "base/log.h"
#include "check/names.h"

namespace keel::lvs {
namespace {

event::ScriptSpec specOf(const model::Script& s) { return {s.argv, s.user, s.group}; }

const model::RealServer* findReal(const model::VirtualServer& vs, const model::RealServerId& id) {
  for (const model::RealServer& rs : vs.real_servers) {
    if (rs.address == id.address && rs.port == id.port) return &rs;
  }
  return nullptr;
}

}  // namespace

event::ScriptPolicy scriptPolicyOf(const model::Config& config) {
  const model::GlobalDefs& g = config.global;
  return {g.enable_script_security, g.script_user.user, g.script_user.group};
}

Engine::Engine(event::Loop& loop, std::shared_ptr<const model::Config> config,
               check::ProbeFactory factory)
    : loop_(loop), config_(std::move(config)), notifier_(loop) {
  notifier_.setPolicy(scriptPolicyOf(*config_));
  indexServers();
  desired_ = std::make_unique<lb::DesiredState>(config_);
  for (const model::VirtualServer& vs : config_->virtual_servers) {
    const bool up = desired_->quorumUp(model::VirtualServerId::of(vs)).value_or(true);
    base::logInfo("{}: Starting with quorum {}", check::virtualServerText(vs), up ? "up" : "down");
  }
  checks_ = std::make_unique<check::CheckManager>(
      loop_, config_, std::move(factory), [this](const model::HealthEvent& e) { onHealth(e); });
  syncFromCheckers();
}

void Engine::subscribe(TableSink sink) {
  sink(desired_->table());
  sinks_.push_back(std::move(sink));
}

void Engine::reload(std::shared_ptr<const model::Config> config) {
  config_ = std::move(config);
  notifier_.setPolicy(scriptPolicyOf(*config_));
  indexServers();
  const auto before = desired_->table();
  for (const lb::QuorumChange& change : desired_->reload(config_)) onQuorum(change);
  checks_->reload(config_);
  syncFromCheckers();
  publishTable(before);
}

// The real servers' start states come from the checkers (which may leave out a checker kind
// keel cannot run yet); the desired table follows them without notifies, as at keepalived's
// start.
void Engine::syncFromCheckers() {
  const auto before = desired_->table();
  for (const check::RealServerStatus& s : checks_->status()) {
    if (desired_->alive(s.id) == std::optional<bool>(s.alive) && !s.weight) continue;
    for (const lb::QuorumChange& change : desired_->onHealth({s.id, s.alive, s.weight})) {
      onQuorum(change);
    }
  }
  publishTable(before);
}

void Engine::setAddressesPresent(const std::vector<base::IpAddress>& addresses, bool present) {
  for (const base::IpAddress& a : addresses) checks_->setAddressPresent(a, present);
}

void Engine::indexServers() {
  servers_.clear();
  for (const model::VirtualServer& vs : config_->virtual_servers) {
    servers_.emplace(model::VirtualServerId::of(vs), &vs);
  }
}

const model::VirtualServer* Engine::findServer(const model::VirtualServerId& id) const {
  auto it = servers_.find(id);
  return it != servers_.end() ? it->second : nullptr;
}

void Engine::onHealth(const model::HealthEvent& event) {
  const model::VirtualServer* vs = findServer(event.real.virtual_server);
  const model::RealServer* rs = vs != nullptr ? findReal(*vs, event.real) : nullptr;
  if (rs == nullptr) return;
  const auto before = desired_->table();
  const std::optional<bool> was = desired_->alive(event.real);
  const std::vector<lb::QuorumChange> changes = desired_->onHealth(event);
  const std::string rs_text = check::realServerText(*vs, *rs);
  const std::string vs_text = check::virtualServerText(*vs);
  if (was != std::optional<bool>(event.up)) {
    const bool inhibit = rs->inhibit_on_failure;
    if (event.up) {
      base::logInfo("{} service {} to VS {}", inhibit ? "Enabling" : "Adding", rs_text, vs_text);
    } else {
      base::logInfo("{} service {} from VS {}", inhibit ? "Disabling" : "Removing", rs_text,
                    vs_text);
    }
    const model::Script& script = event.up ? rs->notify_up : rs->notify_down;
    if (!script.empty()) notifier_.run(specOf(script), "RS " + rs_text + " notify");
    event::writeFifoLine(fifoPaths(),
                         fmt::format("RS {} {} {}\n", rs_text, vs_text, event.up ? "UP" : "DOWN"));
  }
  for (const lb::QuorumChange& change : changes) onQuorum(change);
  publishTable(before);
}

void Engine::onQuorum(const lb::QuorumChange& c) {
  const model::VirtualServer* vs = findServer(c.virtual_server);
  if (vs == nullptr) return;
  const std::string vs_text = check::virtualServerText(*vs);
  if (c.up) {
    base::logInfo("Gained quorum {}+{}={} <= {} for VS {}", c.quorum, c.hysteresis,
                  c.quorum + c.hysteresis, c.weight_sum, vs_text);
  } else {
    base::logInfo("Lost quorum {}-{}={} > {} for VS {}", c.quorum, c.hysteresis,
                  c.quorum - c.hysteresis, c.weight_sum, vs_text);
  }
  const model::Script& script = c.up ? vs->quorum_up : vs->quorum_down;
  if (!script.empty()) notifier_.run(specOf(script), "VS " + vs_text + " quorum");
  event::writeFifoLine(fifoPaths(), fmt::format("VS {} {}\n", vs_text, c.up ? "UP" : "DOWN"));
}

void Engine::publishTable(const std::shared_ptr<const lb::ServiceTable>& before) {
  const std::shared_ptr<const lb::ServiceTable> now = desired_->table();
  if (now == before || *now == *before) return;
  for (const TableSink& sink : sinks_) sink(now);
}

// docs/reference/keepalived.md §2.12: notify_fifo gets every line, lvs_notify_fifo the checker's;
// the same FIFO named twice gets a line once.
std::vector<std::string> Engine::fifoPaths() const {
  std::vector<std::string> out;
  for (const model::Script* fifo :
       {&config_->global.notify_fifo, &config_->global.lvs_notify_fifo}) {
    if (fifo->empty()) continue;
    if (!out.empty() && out.front() == fifo->argv[0]) continue;
    out.push_back(fifo->argv[0]);
  }
  return out;
}

}  // namespace keel::lvs
