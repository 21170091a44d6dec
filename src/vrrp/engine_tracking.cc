// Engine (engine.h): what feeds the instances — netlink events, vrrp_scripts, track files — and
// the notify scripts and FIFO lines they cause.
#include <algorithm>
#include <csignal>

#include "base/log.h"
#include "vrrp/engine.h"

namespace keel::vrrp {

namespace {

constexpr auto kFirstScriptRun = std::chrono::milliseconds(10);

}  // namespace

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

event::ScriptPolicy Engine::scriptPolicy() const {
  const model::GlobalDefs& g = config_->global;
  return {g.enable_script_security, g.script_user.user, g.script_user.group};
}

void Engine::onNetEvents() {
  auto read = netlink_->readEvents([this](const net::NetEvent& e) { onNetEvent(e); });
  if (!read) {
    base::logWarning("VRRP: {}", read.error().str());
    rereadHost();
  }
  retrack();
  changed();
}

// The host view first, then the instances: they read it.
void Engine::onNetEvent(const net::NetEvent& e) {
  host_.apply(e);
  using Kind = net::NetEvent::Kind;
  for (auto& instance : instances_) {
    switch (e.kind) {
      case Kind::LinkChanged:
        instance->onLinkChanged(e.link);
        break;
      case Kind::LinkRemoved:
        instance->onLinkRemoved(e.link);
        break;
      case Kind::AddressAdded:
      case Kind::AddressRemoved:
        instance->onAddress(e.address, e.kind == Kind::AddressAdded);
        break;
      default:
        break;
    }
  }
}

// Events were lost: read the whole state again and let every instance look at its interface.
void Engine::rereadHost() {
  if (auto s = host_.read(*netlink_); !s) {
    base::logError("VRRP: cannot read interfaces: {}", s.error().str());
    return;
  }
  for (auto& instance : instances_) {
    const net::Link* link = host_.link(instance->config().interface);
    if (link != nullptr) {
      instance->onLinkChanged(*link);
    } else {
      instance->onLinkRemoved(net::Link{0, instance->config().interface, false, false, false, {}});
    }
  }
}

// Resolved once per configuration, not at each event: trackingOf() runs for every instance on
// every link change and script result.
void Engine::resolveTracks() {
  tracks_.clear();
  for (const model::VrrpInstance& vi : config_->vrrp_instances) {
    tracks_.emplace(vi.name, model::effectiveTracks(*config_, vi));
  }
}

// The trackers resolveTracks() gave the instance (its own and its sync group's), each with its
// weight and reverse resolved.
TrackingResult Engine::trackingOf(const model::VrrpInstance& vi) const {
  static const model::EffectiveTracks kNone;
  auto found = tracks_.find(vi.name);
  const model::EffectiveTracks& tracks = found != tracks_.end() ? found->second : kNone;
  std::vector<TrackedState> items;
  if (!vi.dont_track_primary) items.push_back({host_.linkUp(vi.interface), 0, false});
  for (const model::TrackRef& t : tracks.interfaces) {
    items.push_back({host_.linkUp(t.name), t.weight, t.reverse});
  }
  for (const model::TrackRef& t : tracks.scripts) {
    auto it = scripts_.find(t.name);
    if (it == scripts_.end() || it->second->argv.empty()) continue;  // disabled
    const ScriptRunner& r = *it->second;
    const bool ok = r.verdict.known() ? r.verdict.ok() : !r.config.init_fail;
    items.push_back({ok, t.weight, t.reverse});
  }
  for (const model::TrackRef& t : tracks.bfds) {
    auto up = bfd_up_.find(t.name);
    items.push_back({up != bfd_up_.end() && up->second, t.weight, t.reverse});
  }
  std::vector<TrackedFile> files;
  for (const model::TrackRef& t : tracks.files) {
    files.push_back({files_ ? files_->value(t.name) : 0, t.weight, t.reverse});
  }
  return aggregate(items, files);
}

void Engine::initTrackFiles() {
  for (const model::TrackFile& tf : config_->track_files) {
    if (!tf.init_file) continue;
    if (auto st = event::initTrackFile(tf.file, *tf.init_file, tf.init_file_overwrite); !st) {
      base::logWarning("VRRP_Track_File({}) cannot initialise {}: {}", tf.name, tf.file,
                       st.error().str());
    }
  }
  watchTrackFiles();
}

void Engine::watchTrackFiles() {
  std::map<std::string, std::string> paths;
  for (const model::TrackFile& tf : config_->track_files) paths.emplace(tf.name, tf.file);
  if (!files_) {
    if (paths.empty()) return;
    files_ = std::make_unique<event::TrackFileWatcher>(
        loop_, [this](const std::vector<event::TrackFileChange>& changes) {
          for (const auto& c : changes) {
            base::logInfo("VRRP_Track_File({}) value {} -> {}", c.name, c.before, c.after);
          }
          retrack();
        });
  }
  files_->setFiles(paths);
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
    instance->setTrackingFault(t.fault);
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

}  // namespace keel::vrrp
