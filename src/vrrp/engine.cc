#include "vrrp/engine.h"

#include <sys/epoll.h>

#include <algorithm>
#include <csignal>

#include "base/log.h"
#include "vrrp/notify.h"
#include "vrrp/reload_plan.h"

namespace keel::vrrp {

base::Result<std::unique_ptr<Engine>> Engine::create(event::Loop& loop,
                                                     std::shared_ptr<const model::Config> config,
                                                     EngineOptions options) {
  KEEL_TRY(checkConfig(*config));
  if (options.sockets == nullptr) options.sockets = &net::systemSockets();
  auto netlink = options.sockets->openNetlink();
  if (!netlink) return netlink.error();
  std::unique_ptr<Engine> self(
      new Engine(loop, std::move(config), std::move(options), std::move(*netlink)));
  KEEL_TRY(self->host_.read(*self->netlink_));
  KEEL_TRY(loop.watch(self->netlink_->eventFd(), EPOLLIN,
                      [e = self.get()](std::uint32_t) { e->onNetEvents(); }));
  self->openInstances();
  return self;
}

Engine::Engine(event::Loop& loop, std::shared_ptr<const model::Config> config,
               EngineOptions options, std::unique_ptr<net::Netlink> netlink)
    : loop_(loop),
      config_(std::move(config)),
      options_(std::move(options)),
      netlink_(std::move(netlink)),
      notifier_(loop) {
  resolveTracks();
}

Engine::~Engine() {
  *alive_ = false;
  instances_.clear();  // their sockets leave the loop before the netlink's
  loop_.unwatch(netlink_->eventFd());
}

InstanceContext Engine::context() {
  InstanceContext ctx;
  ctx.loop = &loop_;
  ctx.netlink = netlink_.get();
  ctx.sockets = options_.sockets;
  ctx.host = &host_;
  ctx.globals = &config_->global;
  ctx.keep_addresses_on_stop = options_.keep_addresses_on_stop;
  ctx.is_vip = [this](const base::IpAddress& a) { return isVip(a); };
  ctx.run_script = [this](const model::Script& s, const std::string& why) { runScript(s, why); };
  ctx.write_fifo = [this](const std::string& line) { writeFifo(line); };
  ctx.on_transition = options_.on_transition;
  ctx.after_input = [this](Instance& who) {
    auto it = group_of_.find(&who);
    if (it != group_of_.end()) reconcileGroup(*it->second);
    changed();
  };
  return ctx;
}

bool Engine::isVip(const base::IpAddress& address) const {
  for (const model::VrrpInstance& vi : config_->vrrp_instances) {
    for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded}) {
      for (const model::VirtualIp& v : *list) {
        if (v.address.address() == address) return true;
      }
    }
  }
  return false;
}

void Engine::openInstances() {
  for (const model::VrrpInstance& vi : config_->vrrp_instances) {
    instances_.push_back(Instance::create(vi, context()));
  }
  openGroups();
  for (const model::VrrpScript& s : config_->vrrp_scripts) addScript(s);
}

// Several changes in one loop iteration make one on_change call, from posted work (after the
// iteration's I/O), so readers see a status once per burst.
void Engine::changed() {
  if (change_posted_ || !options_.on_change) return;
  change_posted_ = true;
  loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    change_posted_ = false;
    options_.on_change();
  });
}

EngineStatus Engine::status() const {
  EngineStatus out;
  out.instances.reserve(instances_.size());
  for (const auto& instance : instances_) out.instances.push_back(instance->status());
  return out;
}

void Engine::start() {
  started_ = true;
  if (!options_.keep_addresses_on_stop) {
    for (auto& instance : instances_) instance->removeStaleAddresses();
  }
  for (auto& [name, runner] : scripts_) {
    if (!runner->argv.empty()) scheduleScript(*runner, std::chrono::milliseconds(10));
  }
  initTrackFiles();  // before the tracking below, which reads the values
  for (auto& instance : instances_) {
    const TrackingResult t = trackingOf(instance->config());
    instance->setPriorityDelta(t.delta);
    instance->setTrackingFault(t.fault);
  }
  for (auto& group : groups_) reconcileGroup(*group);
  for (auto& instance : instances_) instance->start();
  changed();
}

void Engine::stop() {
  stopping_ = true;
  if (files_) files_->setFiles({});
  for (auto& [name, runner] : scripts_) {
    runner->timer->disarm();
    if (runner->child) runner->child->signalGroup(SIGTERM);
  }
  for (auto& instance : instances_) instance->stop();
  changed();
}

std::size_t Engine::runningScripts() {
  std::size_t n = notifier_.running();
  for (auto& [name, runner] : scripts_) n += runner->child && runner->child->running() ? 1 : 0;
  return n;
}

base::Status Engine::reload(std::shared_ptr<const model::Config> config) {
  if (auto checked = checkConfig(*config); !checked) {
    base::logError("VRRP reload refused, the running configuration stays: {}",
                   checked.error().str());
    return checked;
  }
  const std::shared_ptr<const model::Config> before = std::move(config_);
  config_ = std::move(config);
  resolveTracks();
  const std::vector<InstancePlan> plans = planReload(*before, *config_);
  reloadScripts();
  groups_.clear();
  group_of_.clear();
  const std::vector<Instance*> fresh = reloadInstances(plans);
  for (auto& instance : instances_) instance->machine().setInSyncGroup(false);
  openGroups();
  for (auto& group : groups_) group->group->adopt();
  if (files_) {
    watchTrackFiles();
  } else {
    initTrackFiles();
  }
  startFresh(fresh);
  retrack();
  changed();
  return base::ok();
}

// Carries out the plans on the running instances; returns the new ones, not started yet.
std::vector<Instance*> Engine::reloadInstances(const std::vector<InstancePlan>& plans) {
  std::map<std::string, std::unique_ptr<Instance>> old;
  for (auto& instance : instances_) old.emplace(instance->name(), std::move(instance));
  instances_.clear();
  std::vector<Instance*> fresh;
  for (const InstancePlan& plan : plans) {
    base::logInfo("VRRP reload: ({}) {}", plan.name, reloadActionName(plan.action));
    auto it = old.find(plan.name);
    std::unique_ptr<Instance> running = it != old.end() ? std::move(it->second) : nullptr;
    if (running && (plan.action == ReloadAction::Remove || plan.action == ReloadAction::Restart)) {
      running->stop();
      running.reset();  // its socket closes before a successor opens one
    }
    if (plan.action == ReloadAction::Remove) continue;
    const model::VrrpInstance& vi =
        *std::find_if(config_->vrrp_instances.begin(), config_->vrrp_instances.end(),
                      [&](const model::VrrpInstance& v) { return v.name == plan.name; });
    if (running) {
      running->reconfigure(vi, &config_->global, plan.vips_added, plan.vips_removed);
      instances_.push_back(std::move(running));
      continue;
    }
    instances_.push_back(Instance::create(vi, context()));
    fresh.push_back(instances_.back().get());
  }
  return fresh;
}

void Engine::startFresh(const std::vector<Instance*>& fresh) {
  for (Instance* instance : fresh) {
    const TrackingResult t = trackingOf(instance->config());
    instance->setPriorityDelta(t.delta);
    instance->setTrackingFault(t.fault);
    instance->start();
  }
}

// REQUIRES: checkConfig(*config_) passed, so every member is one free instance.
void Engine::openGroups() {
  for (const model::SyncGroup& g : config_->sync_groups) {
    auto group = std::make_unique<Group>();
    group->config = &g;
    std::vector<StateMachine*> machines;
    for (const std::string& member : g.members) {
      auto it = std::find_if(instances_.begin(), instances_.end(),
                             [&](const auto& i) { return i->name() == member; });
      group->members.push_back(it->get());
      machines.push_back(&(*it)->machine());
    }
    if (group->members.size() == 1) {
      base::logWarning("VRRP_Group({}) has only one member", g.name);
    }
    group->group = std::make_unique<SyncGroup>(g.name, std::move(machines));
    for (Instance* member : group->members) group_of_[member] = group.get();
    groups_.push_back(std::move(group));
  }
}

// The group rules after any member's input: forced member transitions, then the group's own
// notify scripts and FIFO line. Re-entry from the forced members' perform() is ignored.
void Engine::reconcileGroup(Group& g) {
  if (reconciling_) return;
  reconciling_ = true;
  const auto now = std::chrono::duration_cast<Micros>(loop_.clock().now().time_since_epoch());
  SyncGroup::Update update = g.group->reconcile(now);
  for (SyncGroup::MemberActions& m : update.members) g.members[m.member]->perform(m.actions);
  if (update.group && update.group->to != State::Init) {
    const NotifySubject who{true, g.config->name, 0};
    const State state = update.group->to;
    base::logInfo("VRRP_Group({}) Syncing instances to {} state", g.config->name,
                  notifyStateName(state));
    for (const model::Script& s : notifyScripts(g.config->notify, who, state)) {
      runScript(s, fmt::format("VRRP_Group({}) notify", g.config->name));
    }
    writeFifo(fifoLine(who, state));
  }
  reconciling_ = false;
}

}  // namespace keel::vrrp
