#include "vrrp/engine.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <cstring>

#include "base/log.h"
#include "base/unique_fd.h"
#include "vrrp/reload_plan.h"

namespace keel::vrrp {

namespace {

constexpr auto kFirstScriptRun = std::chrono::milliseconds(10);

}  // namespace

base::Result<std::unique_ptr<Engine>> Engine::create(event::Loop& loop,
                                                     std::shared_ptr<const model::Config> config,
                                                     EngineOptions options) {
  auto netlink = net::Rtnetlink::open(true);
  if (!netlink) return netlink.error();
  std::unique_ptr<Engine> self(
      new Engine(loop, std::move(config), std::move(options), std::move(*netlink)));
  KEEL_TRY(self->openInstances());
  KEEL_TRY(loop.watch(self->netlink_.eventFd(), EPOLLIN,
                      [e = self.get()](std::uint32_t) { e->onNetEvents(); }));
  return self;
}

Engine::Engine(event::Loop& loop, std::shared_ptr<const model::Config> config,
               EngineOptions options, net::Rtnetlink netlink)
    : loop_(loop),
      config_(std::move(config)),
      options_(std::move(options)),
      netlink_(std::move(netlink)),
      notifier_(loop) {}

Engine::~Engine() {
  if (netlink_.eventFd() >= 0) loop_.unwatch(netlink_.eventFd());
}

InstanceContext Engine::context() {
  InstanceContext ctx;
  ctx.loop = &loop_;
  ctx.netlink = &netlink_;
  ctx.globals = &config_->global;
  ctx.keep_addresses_on_stop = options_.keep_addresses_on_stop;
  ctx.run_script = [this](const model::Script& s, const std::string& why) { runScript(s, why); };
  ctx.write_fifo = [this](const std::string& line) { writeFifo(line); };
  ctx.on_transition = options_.on_transition;
  ctx.after_input = [this](Instance& who) {
    auto it = group_of_.find(&who);
    if (it != group_of_.end()) reconcileGroup(*it->second);
  };
  return ctx;
}

base::Status Engine::openInstances() {
  readLinks();
  for (const model::VrrpInstance& vi : config_->vrrp_instances) {
    auto instance = Instance::create(vi, context());
    if (!instance) {
      return base::makeError(instance.error().code,
                             fmt::format("({}) cannot start: {}", vi.name, instance.error().str()));
    }
    instances_.push_back(std::move(*instance));
  }
  KEEL_TRY(openGroups());
  for (const model::VrrpScript& s : config_->vrrp_scripts) addScript(s);
  return base::ok();
}

void Engine::addScript(const model::VrrpScript& s) {
  auto runner = std::make_unique<ScriptRunner>(
      ScriptRunner{s, {}, ScriptVerdict(s.rise, s.fall), nullptr, nullptr});
  runner->timer = std::make_unique<base::Timer>(loop_.clock());
  auto argv = event::prepareScript({s.script.argv, s.script.user, s.script.group}, scriptPolicy());
  if (argv) {
    runner->argv = std::move(*argv);
  } else {
    base::logError("VRRP_Script({}) {}; disabling it", s.name, argv.error().str());
  }
  scripts_.emplace(s.name, std::move(runner));
}

void Engine::reload(std::shared_ptr<const model::Config> config) {
  const std::shared_ptr<const model::Config> before = std::move(config_);
  config_ = std::move(config);
  const std::vector<InstancePlan> plans = planReload(*before, *config_);
  reloadScripts();
  groups_.clear();
  group_of_.clear();
  const std::vector<Instance*> fresh = reloadInstances(plans);
  for (auto& instance : instances_) instance->machine().setInSyncGroup(false);
  if (auto s = openGroups(); !s) base::logError("VRRP reload: {}", s.error().str());
  for (auto& group : groups_) group->group->adopt();
  if (!config_->track_files.empty() && !file_timer_) {
    file_timer_ = std::make_unique<base::Timer>(loop_.clock());
    readTrackFiles();
  }
  for (Instance* instance : fresh) {
    const TrackingResult t = trackingOf(instance->config());
    instance->perform(instance->machine().setPriorityDelta(t.delta, {}));
    instance->perform(instance->machine().setFault(t.fault, {}));
    instance->start();
  }
  retrack();
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
    if (plan.action == ReloadAction::Remove || plan.action == ReloadAction::Restart) {
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
    auto created = Instance::create(vi, context());
    if (!created) {
      base::logError("({}) cannot start: {}", vi.name, created.error().str());
      continue;
    }
    fresh.push_back(created->get());
    instances_.push_back(std::move(*created));
  }
  return fresh;
}

// vrrp_scripts whose definition is unchanged keep their runner (and so their verdict).
void Engine::reloadScripts() {
  std::erase_if(scripts_, [this](const auto& entry) {
    const auto& list = config_->vrrp_scripts;
    const bool kept = std::any_of(list.begin(), list.end(), [&](const model::VrrpScript& s) {
      return s.name == entry.first && s == entry.second->config;
    });
    if (!kept && entry.second->child) entry.second->child->signalGroup(SIGTERM);
    return !kept;
  });
  for (const model::VrrpScript& s : config_->vrrp_scripts) {
    if (scripts_.contains(s.name)) continue;
    addScript(s);
    ScriptRunner& runner = *scripts_.at(s.name);
    if (!runner.argv.empty()) scheduleScript(runner, kFirstScriptRun);
  }
}

base::Status Engine::openGroups() {
  for (const model::SyncGroup& g : config_->sync_groups) {
    auto group = std::make_unique<Group>();
    group->config = &g;
    std::vector<StateMachine*> machines;
    for (const std::string& member : g.members) {
      auto it = std::find_if(instances_.begin(), instances_.end(),
                             [&](const auto& i) { return i->name() == member; });
      if (it == instances_.end() || group_of_.contains(it->get())) {
        return base::makeError(
            base::ErrorCode::InvalidArgument,
            fmt::format("VRRP_Group({}) member {} is not a free instance", g.name, member));
      }
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
  return base::ok();
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
    const NotifyState state = update.group->to == State::Master   ? NotifyState::Master
                              : update.group->to == State::Backup ? NotifyState::Backup
                                                                  : NotifyState::Fault;
    base::logInfo("VRRP_Group({}) Syncing instances to {} state", g.config->name,
                  notifyStateName(state));
    for (const model::Script& s : notifyScripts(g.config->notify, who, state)) {
      runScript(s, fmt::format("VRRP_Group({}) notify", g.config->name));
    }
    writeFifo(fifoLine(who, state));
  }
  reconciling_ = false;
}

event::ScriptPolicy Engine::scriptPolicy() const {
  const model::GlobalDefs& g = config_->global;
  return {g.enable_script_security, g.script_user.user, g.script_user.group};
}

void Engine::readLinks() {
  auto links = netlink_.links();
  if (!links) {
    base::logError("VRRP: cannot read interfaces: {}", links.error().str());
    return;
  }
  links_up_.clear();
  for (const net::Link& l : *links) links_up_[l.name] = l.up && l.running;
}

void Engine::start() {
  started_ = true;
  for (auto& [name, runner] : scripts_) {
    if (!runner->argv.empty()) scheduleScript(*runner, kFirstScriptRun);
  }
  for (auto& instance : instances_) {
    const TrackingResult t = trackingOf(instance->config());
    instance->perform(instance->machine().setPriorityDelta(t.delta, {}));
    instance->perform(instance->machine().setFault(t.fault, {}));
  }
  for (const model::TrackFile& tf : config_->track_files) {
    if (!tf.init_file) continue;
    const bool exists = ::access(tf.file.c_str(), F_OK) == 0;
    if (exists && !tf.init_file_overwrite) continue;
    base::UniqueFd fd(
        ::open(tf.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    const std::string text = std::to_string(*tf.init_file) + "\n";
    if (!fd || ::write(fd.get(), text.data(), text.size()) < 0) {
      base::logWarning("VRRP_Track_File({}) cannot initialise {}", tf.name, tf.file);
    }
  }
  if (!config_->track_files.empty()) {
    file_timer_ = std::make_unique<base::Timer>(loop_.clock());
    readTrackFiles();
  }
  for (auto& group : groups_) reconcileGroup(*group);
  for (auto& instance : instances_) instance->start();
}

void Engine::stop() {
  stopping_ = true;
  if (file_timer_) file_timer_->disarm();
  for (auto& [name, runner] : scripts_) {
    runner->timer->disarm();
    if (runner->child) runner->child->signalGroup(SIGTERM);
  }
  for (auto& instance : instances_) instance->stop();
}

void Engine::onNetEvents() {
  bool links_changed = false;
  auto read = netlink_.readEvents([&](const net::NetEvent& e) {
    if (e.kind == net::NetEvent::Kind::LinkChanged) {
      links_up_[e.link.name] = e.link.up && e.link.running;
      links_changed = true;
    } else if (e.kind == net::NetEvent::Kind::LinkRemoved) {
      links_up_[e.link.name] = false;
      links_changed = true;
    }
  });
  if (!read) {
    base::logWarning("VRRP: {}", read.error().str());
    readLinks();
    links_changed = true;
  }
  if (links_changed) retrack();
}

TrackingResult Engine::trackingOf(const model::VrrpInstance& vi) const {
  std::vector<TrackedState> items;
  auto linkUp = [&](const std::string& name) {
    auto it = links_up_.find(name);
    return it != links_up_.end() && it->second;
  };
  if (!vi.dont_track_primary) items.push_back({linkUp(vi.interface), 0, false});
  for (const model::TrackRef& t : vi.track_interface) {
    items.push_back({linkUp(t.name), t.has_weight ? t.weight : 0, t.reverse});
  }
  for (const model::TrackRef& t : vi.track_script) {
    auto it = scripts_.find(t.name);
    if (it == scripts_.end() || it->second->argv.empty()) continue;  // unknown or disabled
    const ScriptRunner& r = *it->second;
    const bool ok = r.verdict.known() ? r.verdict.ok() : !r.config.init_fail;
    const int weight = t.has_weight ? t.weight : r.config.weight;
    items.push_back({ok, weight, t.reverse != r.config.weight_reverse});
  }
  for (const model::TrackRef& t : vi.track_bfd) {
    auto b = std::find_if(config_->bfd_instances.begin(), config_->bfd_instances.end(),
                          [&](const model::BfdInstance& i) { return i.name == t.name; });
    if (b == config_->bfd_instances.end()) continue;  // model/validate.cc rejects it
    auto up = bfd_up_.find(t.name);
    items.push_back(bfdTracked(up != bfd_up_.end() && up->second,
                               t.has_weight ? t.weight : b->weight,
                               t.has_weight ? t.reverse : b->weight_reverse));
  }
  std::vector<TrackedFile> files;
  for (const model::TrackRef& t : vi.track_file) {
    auto tf = std::find_if(config_->track_files.begin(), config_->track_files.end(),
                           [&](const model::TrackFile& f) { return f.name == t.name; });
    if (tf == config_->track_files.end()) continue;
    auto value = file_values_.find(t.name);
    files.push_back({value != file_values_.end() ? value->second : 0,
                     t.has_weight ? t.weight : tf->weight, t.reverse != tf->weight_reverse});
  }
  return aggregate(items, files);
}

namespace {

// A track_file holds a decimal integer; a missing, unreadable or non-numeric file counts as 0.
std::int64_t readValue(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return 0;
  std::array<char, 64> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size() - 1);
  if (n <= 0) return 0;
  const char* p = buf.data();
  const char* end = buf.data() + n;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(p, end, value);
  return ec == std::errc() ? value : 0;
}

constexpr auto kTrackFileInterval = std::chrono::seconds(1);

}  // namespace

// keepalived watches track files with inotify; keel reads them every second, which bounds the
// reaction time the same way a vrrp_script interval does.
void Engine::readTrackFiles() {
  bool changed = false;
  for (const model::TrackFile& tf : config_->track_files) {
    const std::int64_t value = readValue(tf.file);
    auto [it, inserted] = file_values_.try_emplace(tf.name, value);
    if (!inserted && it->second != value) {
      base::logInfo("VRRP_Track_File({}) value {} -> {}", tf.name, it->second, value);
      it->second = value;
      changed = true;
    }
  }
  if (changed) retrack();
  file_timer_->armAfter(kTrackFileInterval, [this] { readTrackFiles(); });
}

void Engine::setBfdState(const std::string& session, bool up) {
  auto [it, inserted] = bfd_up_.try_emplace(session, up);
  if (!inserted && it->second == up) return;
  it->second = up;
  if (started_) retrack();  // before start(), start() itself evaluates the tracking
}

void Engine::retrack() {
  if (stopping_) return;
  for (auto& instance : instances_) {
    const TrackingResult t = trackingOf(instance->config());
    instance->setPriorityDelta(t.delta);
    instance->setFault(t.fault);
  }
}

void Engine::scheduleScript(ScriptRunner& runner, base::Duration delay) {
  runner.timer->armAfter(delay, [this, &runner] { runScriptCheck(runner); });
}

void Engine::runScriptCheck(ScriptRunner& runner) {
  if (stopping_) return;
  const auto interval = std::chrono::duration_cast<base::Duration>(runner.config.interval);
  scheduleScript(runner, interval);
  if (runner.child && runner.child->running()) return;  // still running: this turn is skipped
  event::ChildOptions opts;
  opts.argv = runner.argv;
  opts.timeout = std::chrono::duration_cast<base::Duration>(
      runner.config.timeout.value_or(runner.config.interval));
  auto child = event::ChildProcess::spawn(loop_, opts, [this, &runner](const event::ChildExit& e) {
    const bool ok = e.success();
    if (runner.verdict.record(ok)) {
      base::logInfo("VRRP_Script({}) {}", runner.config.name, ok ? "succeeded" : "failed");
      retrack();
    }
  });
  if (!child) {
    base::logLimited("vrrp_script " + runner.config.name, base::LogLevel::Warning,
                     "VRRP_Script({}) cannot run: {}", runner.config.name, child.error().str());
    if (runner.verdict.record(false)) retrack();
    return;
  }
  runner.child = std::move(*child);
}

void Engine::runScript(const model::Script& script, const std::string& why) {
  notifier_.setPolicy(scriptPolicy());
  notifier_.run({script.argv, script.user, script.group}, why);
}

void Engine::writeFifo(const std::string& line) {
  std::vector<std::string> paths;
  for (const model::Script* fifo :
       {&config_->global.notify_fifo, &config_->global.vrrp_notify_fifo}) {
    if (!fifo->empty()) paths.push_back(fifo->argv[0]);
  }
  event::writeFifoLine(paths, line);
}

std::string Engine::statsText() const {
  std::string out;
  for (const auto& instance : instances_) {
    const InstanceCounters& c = instance->counters();
    const StateMachine& m = instance->machine();
    out += fmt::format("VRRP Instance: {}\n", instance->name());
    out += fmt::format("  State: {}\n  Effective priority: {}\n", stateName(m.state()),
                       m.effectivePriority());
    out += fmt::format("  Advertisements:\n    Received: {}\n    Sent: {}\n", c.adverts_received,
                       c.adverts_sent);
    out += fmt::format("  Priority zero received: {}\n  Transitions: {}\n",
                       c.priority_zero_received, c.transitions);
    out += fmt::format("  Dropped: {}\n", c.drops.total());
    for (std::size_t i = 0; i < kDropReasonCount; ++i) {
      const auto reason = static_cast<DropReason>(i);
      out += fmt::format("    {}: {}\n", dropReasonName(reason), c.drops[reason]);
    }
  }
  return out;
}

}  // namespace keel::vrrp
