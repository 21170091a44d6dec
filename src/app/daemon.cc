#include "app/daemon.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "app/bfd_wiring.h"
#include "app/config_check.h"
#include "app/config_loader.h"
#include "app/control.h"
#include "app/dataplane_factory.h"
#include "app/exit_codes.h"
#include "app/mail_wiring.h"
#include "app/pid_file.h"
#include "app/process_setup.h"
#include "app/runtime_dir.h"
#include "app/sd_notify.h"
#include "app/state_dump.h"
#include "app/version.h"
#include "base/clock.h"
#include "base/fd_budget.h"
#include "base/log.h"
#include "check/probe_factory.h"
#include "conf/reader.h"
#include "ctl/config_json.h"
#include "event/child_process.h"
#include "event/loop.h"
#include "event/notify_fifos.h"
#include "lvs/engine.h"
#include "model/diff.h"
#include "vrrp/engine_thread.h"
#include "vrrp/reload_plan.h"

namespace keel::app {

void setUpLogging(const KeeldOptions& options) {
  std::vector<std::unique_ptr<base::LogSink>> sinks;
  if (!options.no_syslog) {
    sinks.push_back(
        std::make_unique<base::SyslogSink>("keeld", options.log_facility.value_or(LOG_DAEMON)));
  }
  if (options.log_console || sinks.empty()) sinks.push_back(std::make_unique<base::StderrSink>());
  base::Logger::instance().setSinks(std::move(sinks));
  base::Logger::instance().setLevel(options.log_detail ? base::LogLevel::Debug
                                                       : base::LogLevel::Info);
}

namespace {

using ConfigPtr = std::shared_ptr<const model::Config>;

// Logs each diagnostic's first line.
void logDiagnostics(const std::vector<conf::Diagnostic>& diagnostics) {
  for (const conf::Diagnostic& d : diagnostics) {
    std::string text = conf::render(d);
    auto first_line = text.substr(0, text.find('\n'));
    base::log(d.severity == conf::Severity::Error ? base::LogLevel::Error : base::LogLevel::Warning,
              "{}", first_line);
  }
}

// Reads the configuration at start (before any engine runs) and logs every diagnostic. Null
// when it cannot be used: missing, unreadable, or with errors (keel does not run a
// half-understood configuration).
ConfigPtr loadConfig(const KeeldOptions& options) {
  const std::atomic<bool> never{false};
  LoadResult r =
      readConfiguration({options.config_file, preprocessOptions(options), nullptr}, never);
  logDiagnostics(r.diagnostics);
  if (!r.config) {
    base::logError("{}; not using it", r.error);
    return nullptr;
  }
  base::logInfo("Configuration {} loaded: {} VRRP instance(s), {} virtual server(s)",
                options.config_file, r.config->vrrp_instances.size(),
                r.config->virtual_servers.size());
  return r.config;
}

void logChanges(const model::ConfigDiff& d) {
  static constexpr const char* kKinds[] = {"added", "removed", "changed"};
  for (const auto* list : {&d.vrrp_instances, &d.virtual_servers, &d.real_servers}) {
    for (const model::Change& c : *list) {
      base::logInfo("Reload: {} {}", c.key, kKinds[static_cast<int>(c.kind)]);
    }
  }
  if (d.empty()) base::logInfo("Reload: no changes");
}

// Writes one operator file under the runtime directory and logs where it went.
void writeDump(const std::string& dir, const char* name, const std::string& text) {
  if (auto s = writeRuntimeFile(dir, name, text); !s) {
    base::logError("Unable to write {}: {}", name, s.error().str());
    return;
  }
  base::logInfo("Wrote {}/{}", dir, name);
}

// keepalived's signals (the loop handles them while it runs): every --signum name's.
std::array<int, 8> handledSignals() {
  return {SIGTERM,
          SIGINT,
          SIGHUP,
          SIGUSR1,
          SIGUSR2,
          *signalNumberFor("JSON"),
          *signalNumberFor("STATS_CLEAR"),
          *signalNumberFor("TDUMP")};
}

// They wait (blocked) from the first moment until the loop reads them, so a signal sent while
// the configuration loads is handled, not fatal.
void holdSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : handledSignals()) sigaddset(&mask, signo);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

// Once the loop has stopped, a repeated signal (a second SIGTERM) must not kill keeld before it
// has cleaned up (pid file, runtime directory).
void ignoreSignals() {
  for (int signo : handledSignals()) std::signal(signo, SIG_IGN);
}

// Writes a multi-line text to the log, a line at a time.
void logLines(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    base::logInfo("{}", std::string_view(text).substr(at, end - at));
    at = end + 1;
  }
}

// -s, -u, -m: what the process needs before anything else is opened.
base::Status setUpProcess(const KeeldOptions& options) {
  if (options.net_namespace) KEEL_TRY(enterNetworkNamespace(*options.net_namespace));
  if (options.umask) ::umask(static_cast<mode_t>(*options.umask));
  if (options.core_dump) KEEL_TRY(allowCoreDumps());
  return base::ok();
}

// The runtime directory, decided once (the config's `instance` counts; a reload cannot move it),
// and created.
base::Result<std::string> prepareRuntimeDir(const KeeldOptions& options, const ConfigPtr& config) {
  std::optional<std::string> instance = options.instance;
  if (!instance && config && !config->instance.empty()) instance = config->instance;
  const RuntimeEnvironment env = RuntimeEnvironment::current();
  const RuntimeDirRequest request{options.runtime_dir, instance};
  auto dir = runtimeDir(request, env);
  if (!dir) return dir.error();
  if (usesTemporaryBase(request, env)) {
    base::logNotice("No XDG_RUNTIME_DIR: runtime files go to {}, keeld's own (mode 0700)", *dir);
  }
  KEEL_TRY(makeRuntimeDir(*dir));
  return dir;
}

// What the configuration asks of the descriptor budget (base/fd_budget.h).
base::FdNeeds fdNeedsOf(const ConfigPtr& config, bool no_bfd) {
  base::FdNeeds needs;
  needs.open_at_start = base::openDescriptors();
  if (!config) return needs;
  needs.vrrp_instances = config->vrrp_instances.size();
  needs.bfd_sessions = no_bfd ? 0 : config->bfd_instances.size();
  needs.mail = !config->global.smtp_server.empty() && !config->global.notification_email.empty();
  needs.scripts = config->vrrp_scripts.size();
  for (const model::VirtualServer& vs : config->virtual_servers) {
    for (const model::RealServer& rs : vs.real_servers) {
      needs.checkers += rs.checkers.size();
      for (const model::Checker& c : rs.checkers) {
        if (std::holds_alternative<model::MiscCheck>(c.kind)) ++needs.scripts;
      }
    }
  }
  return needs;
}

// RLIMIT_NOFILE up to its hard limit, then shared out; the log says how.
base::FdShares planDescriptors(const ConfigPtr& config, bool no_bfd) {
  std::size_t limit = 0;
  if (auto raised = raiseNoFileLimit(); !raised) {
    base::logWarning("{}", raised.error().str());
  } else {
    limit = raised->now;
    if (raised->now != raised->before) {
      base::logInfo("Descriptor limit raised from {} to {}", raised->before, raised->now);
    }
  }
  const base::FdShares shares = base::planFdShares(limit, fdNeedsOf(config, no_bfd));
  base::logInfo("Descriptor shares: {}", base::describe(shares));
  if (shares.tight) {
    base::logWarning("Descriptor limit {} leaves the data plane only {} (raise LimitNOFILE)",
                     shares.limit, shares.dataplane);
  }
  return shares;
}

// -d: keepalived dumps its parsed configuration to the log at start.
void logConfiguration(const model::Config& config) {
  logLines(ctl::dumpJson(ctl::toJson(config), 2));
}

// keeld's engines and signals on the control-plane loop.
class Daemon {
 public:
  Daemon(const KeeldOptions& options, ConfigPtr config, std::string runtime_dir, event::Loop& loop)
      : options_(options),
        config_(std::move(config)),
        runtime_dir_(std::move(runtime_dir)),
        loop_(loop),
        probes_(check::makeProbeFactory([this] { return lvs::scriptPolicyOf(*config_); })),
        systemd_(SystemdNotifier::fromEnvironment()),
        loader_(
            loop, [this] { return reloadRequest(); },
            [this](const LoadResult& result) { apply(result); }),
        bfd_(
            loop, [this](const bfd::SessionEvent& e) { onBfdSession(e); },
            [this](const std::string& why) { failThread("BFD", why); }) {}

  void start();
  // The control socket and metrics (control.h); keeld runs on without them if they fail.
  void startControl();
  base::Status handleSignals();
  void ready() { notifySystemd("READY=1"); }
  // The descriptor shares (base/fd_budget.h); `dataplane` is the cap the data plane is given.
  void setFdShares(const base::FdShares& shares) { fd_shares_ = shares; }
  const base::FdShares& fdShares() const { return fd_shares_; }
  // A callback ended with a fatal exception (event/loop.h): stop in order, VIPs released.
  void fail(const std::string& why) { stop(why.c_str()); }
  // True once a fatal error stopped keeld (it then exits non-zero).
  bool failed() const { return failed_; }

 private:
  bool wantChecks() const { return !options_.vrrp_only; }
  bool wantVrrp() const { return !options_.check_only; }
  void startVrrp(const ConfigPtr& config);
  void onBfdSession(const bfd::SessionEvent& e);
  void onVrrpTransition(const std::string& name, vrrp::State to);
  void setMasters(std::set<base::IpAddress> masters);
  void startDataplane(const ConfigPtr& config);
  void tellDataplaneVrrpStates(bool again);
  // SIGHUP and keelctl reload: the file is read off the loop (config_loader.h), then applied.
  void reload(ConfigLoader::Done done);
  LoadRequest reloadRequest() const;
  void apply(const LoadResult& result);
  void stop(const char* why);
  void failThread(const char* thread, const std::string& why);
  void writeStats(bool clear);
  void notifySystemd(std::string_view state) const;
  // The one reader of the running engines: keel.data, keel.json, keelctl and metrics render it.
  RuntimeView view() const;

  const KeeldOptions& options_;
  // The running configuration: the one snapshot every engine, the control socket and the views
  // hold (never copied); replaced whole by a reload.
  ConfigPtr config_;
  const std::string runtime_dir_;
  event::Loop& loop_;
  const check::ProbeFactory probes_;
  const SystemdNotifier systemd_;
  base::FdShares fd_shares_;
  ConfigLoader loader_;
  MailWiring mail_;           // the VRRP thread's transitions reach it posted to loop_
  event::NotifyFifos fifos_;  // notify_fifo, vrrp_notify_fifo, lvs_notify_fifo made when missing
  BfdWiring bfd_;             // BFD on its own thread (app/bfd_wiring.h); its sessions go to vrrp_
  std::unique_ptr<vrrp::EngineThread> vrrp_;  // VRRP on its own thread (vrrp/engine_thread.h)
  std::set<base::IpAddress> masters_;         // the VIPs MASTER instances hold, for ha_suspend
  std::map<std::string, bool> told_;          // instance -> MASTER, as the data plane heard it
  std::unique_ptr<dataplane::Dataplane> dataplane_;  // outlives `lvs_`, which feeds it tables
  std::unique_ptr<lvs::Engine> lvs_;
  std::unique_ptr<Operations> operations_;  // last: its getters read the members above
  bool failed_ = false;
};

// The notify FIFOs the configuration names, with the user and group that own them.
std::vector<event::FifoSpec> fifoSpecs(const model::GlobalDefs& g) {
  std::vector<event::FifoSpec> out;
  for (const model::Script* f : {&g.notify_fifo, &g.vrrp_notify_fifo, &g.lvs_notify_fifo}) {
    if (!f->empty()) out.push_back({f->argv[0], f->user, f->group});
  }
  return out;
}

void Daemon::start() {
  if (!config_) return;
  const ConfigPtr& shared = config_;
  mail_.configure(loop_, shared);
  fifos_.apply(fifoSpecs(config_->global));
  if (!options_.no_bfd) bfd_.apply(*config_);
  if (wantChecks() && !config_->virtual_servers.empty()) {
    lvs_ = std::make_unique<lvs::Engine>(loop_, shared, probes_);
    if (!bfd_.running() && !config_->bfd_instances.empty()) {  // -B, or BFD failed to start
      base::logWarning("BFD_CHECK: BFD is not running - checked sessions count as down");
      for (const model::BfdInstance& b : config_->bfd_instances) lvs_->setBfdState(b.name, false);
    }
  }
  if (wantVrrp() && !config_->vrrp_instances.empty()) startVrrp(shared);
  startDataplane(shared);
}

// The data plane, once there are virtual servers to forward, subscribed to the virtual servers'
// tables (the current one first).
void Daemon::startDataplane(const ConfigPtr& config) {
  if (dataplane_ || !lvs_) return;
  DataplaneOptions dp_options{.keep_attached = options_.keep_dataplane};
  // The proxy's flows hold up to two descriptors each: its cap keeps it inside its share.
  dp_options.proxy_max_flows = std::min(dp_options.proxy_max_flows, fd_shares_.dataplane / 2);
  dataplane_ = makeDataplane(loop_, config, dp_options);
  if (!dataplane_) return;
  lvs_->subscribe([dp = dataplane_.get()](std::shared_ptr<const lb::ServiceTable> table) {
    if (auto s = dp->apply(std::move(table)); !s) base::logError("{}", s.error().str());
  });
  tellDataplaneVrrpStates(true);
}

// The data plane hears each VRRP instance's state (MASTER or not) as the VRRP thread publishes it,
// and all of them again (`again`) after it started or the configuration changed: lvs_sync_daemon
// may name another instance. `told_` keeps what it was told last.
void Daemon::tellDataplaneVrrpStates(bool again) {
  if (!dataplane_ || !vrrp_) return;
  if (again) told_.clear();
  for (const vrrp::InstanceStatus& instance : vrrp_->status()->instances) {
    if (instance.state == vrrp::State::Init) continue;
    const bool master = instance.state == vrrp::State::Master;
    const auto [it, added] = told_.try_emplace(instance.name, master);
    if (!added && it->second == master) continue;
    it->second = master;
    dataplane_->vrrpState(instance.name, master);
  }
}

void Daemon::startVrrp(const ConfigPtr& config) {
  vrrp::EngineThread::Options vrrp_options;
  vrrp_options.engine.keep_addresses_on_stop = options_.keep_vips;
  vrrp_options.settings = vrrp::ThreadSettings::from(config->global);
  vrrp_options.main = &loop_;
  vrrp_options.on_masters = [this](std::set<base::IpAddress> masters) {
    setMasters(std::move(masters));
    tellDataplaneVrrpStates(false);
  };
  // On the VRRP thread: the mail is decided and queued on this loop (app/mail_wiring.h).
  vrrp_options.engine.on_transition = [this](const std::string& name, vrrp::State, vrrp::State to) {
    loop_.post([this, name, to] { onVrrpTransition(name, to); });
  };
  vrrp_options.on_fatal = [this](const std::string& why) { failThread("VRRP", why); };
  vrrp_options.bfd_states = bfd_.vrrpStates();  // VRRP starting after BFD
  if (!bfd_.running() &&
      std::any_of(config->vrrp_instances.begin(), config->vrrp_instances.end(),
                  [](const model::VrrpInstance& vi) { return !vi.track_bfd.empty(); })) {
    base::logWarning("track_bfd: BFD is not running - tracked sessions count as down");
  }
  auto thread = vrrp::EngineThread::start(config, std::move(vrrp_options));
  if (!thread) {
    base::logError("VRRP not started: {}", thread.error().str());
    return;
  }
  vrrp_ = std::move(*thread);
}

// track_bfd: a session's state to the VRRP thread, unless its bfd_instance says `checker` only;
// BFD_CHECK: to the checkers, unless it says `vrrp` only.
void Daemon::onBfdSession(const bfd::SessionEvent& e) {
  if (vrrp_ && e.notify_vrrp) vrrp_->setBfdState(e.name, e.up());
  if (lvs_ && e.notify_checker) lvs_->setBfdState(e.name, e.up());  // BFD_CHECK
}

// On the main loop, posted by the VRRP thread: the instance's alert mail (app/mail_wiring.h).
void Daemon::onVrrpTransition(const std::string& name, vrrp::State to) {
  mail_.vrrpTransition(name, vrrp::stateName(to));
}

void Daemon::reload(ConfigLoader::Done done) {
  notifySystemd("RELOADING=1");
  base::logInfo("Reloading");
  loader_.reload(std::move(done));  // applied once per read, however many asked (apply())
}

// What a reload reads: the same file and options as at start, against the running config.
LoadRequest Daemon::reloadRequest() const {
  return {options_.config_file, preprocessOptions(options_), config_};
}

// A bad file is rejected and the running configuration stays; otherwise every engine takes the
// new one keeping its runtime state (VRRP states, checker states, connections).
void Daemon::apply(const LoadResult& result) {
  logDiagnostics(result.diagnostics);
  if (!result.config) {
    base::logError("{}; not using it", result.error);
    base::logError("Reload aborted: the running configuration stays");
    notifySystemd("READY=1");
    return;
  }
  if (auto checked = vrrp::checkConfig(*result.config); wantVrrp() && !checked) {
    base::logError("Reload aborted: {}; the running configuration stays", checked.error().str());
    notifySystemd("READY=1");
    return;
  }
  if (config_ && result.config->instance != config_->instance) {
    base::logWarning("Reload: 'instance' takes effect at restart; runtime files stay in {}",
                     runtime_dir_);
  }
  logChanges(result.plan.changes);
  config_ = result.config;
  const ConfigPtr& shared = config_;
  mail_.configure(loop_, shared);
  fifos_.apply(fifoSpecs(config_->global));
  // The data plane takes the new configuration (its VIP interfaces) before the new tables arrive.
  if (dataplane_) dataplane_->reload(shared);
  if (lvs_) {
    lvs_->reload(shared);
  } else if (wantChecks() && !config_->virtual_servers.empty()) {
    lvs_ = std::make_unique<lvs::Engine>(loop_, shared, probes_);
    for (const auto& [name, up] : bfd_.checkerStates()) lvs_->setBfdState(name, up);
  }
  if (!options_.no_bfd) bfd_.apply(*config_);
  if (vrrp_) {
    vrrp_->reload(shared);  // on the VRRP thread; ha_suspend hears the outcome (setMasters)
  } else if (wantVrrp() && !config_->vrrp_instances.empty()) {
    startVrrp(shared);
  }
  startDataplane(shared);
  tellDataplaneVrrpStates(true);
  base::logInfo("Reload complete");
  notifySystemd("READY=1");
}

// ha_suspend: the services learn the VIPs a MASTER gained or lost since the last report.
void Daemon::setMasters(std::set<base::IpAddress> masters) {
  std::vector<base::IpAddress> gained;
  std::vector<base::IpAddress> lost;
  std::set_difference(masters.begin(), masters.end(), masters_.begin(), masters_.end(),
                      std::back_inserter(gained));
  std::set_difference(masters_.begin(), masters_.end(), masters.begin(), masters.end(),
                      std::back_inserter(lost));
  masters_ = std::move(masters);
  if (!lvs_) return;
  if (!gained.empty()) lvs_->setAddressesPresent(gained, true);
  if (!lost.empty()) lvs_->setAddressesPresent(lost, false);
}

void Daemon::startControl() {
  ControlSources sources;
  sources.view = [this] { return view(); };
  sources.dataplane = [this]() -> const dataplane::Dataplane* { return dataplane_.get(); };
  sources.reload = [this](ConfigLoader::Done done) { reload(std::move(done)); };
  sources.check = [this](std::string file, ConfigLoader::Done done) {
    return loader_.check(std::move(file), std::move(done));
  };
  auto ops = startOperations(loop_, runtime_dir_, std::move(sources));
  if (!ops) {
    base::logError("Control socket not started: {}", ops.error().str());
    return;
  }
  operations_ = std::move(*ops);
}

void Daemon::stop(const char* why) {
  base::logInfo("Stopping ({})", why);
  notifySystemd("STOPPING=1");
  // Joined, at most its stop grace and a margin; a thread that did not end is left to the exit.
  if (vrrp_ && !vrrp_->stop()) (void)vrrp_.release();
  bfd_.stop();  // AdminDown to every BFD neighbour
  loop_.stop();
}

// The VRRP or BFD thread's loop caught a fatal exception and stopped its engine in order (VIPs
// released, AdminDown sent): keeld does not run on without it, it stops and exits non-zero.
void Daemon::failThread(const char* thread, const std::string& why) {
  base::logError("{} thread failed: {}; stopping keeld", thread, why);
  failed_ = true;
  stop(fmt::format("the {} thread failed", thread).c_str());
}

void Daemon::notifySystemd(std::string_view state) const {
  if (auto s = systemd_.notify(state); !s) base::logWarning("{}", s.error().str());
}

RuntimeView Daemon::view() const {
  const auto vrrp = vrrp_ ? vrrp_->status() : nullptr;
  RuntimeView v = collectView(config_, vrrp.get(), lvs_.get());
  v.config_file = options_.config_file;
  return v;
}

// keel.stats (SIGUSR2). STATS_CLEAR writes it, then counts again from zero, as keepalived; the
// VRRP and data-plane engines offer no way to clear their counters yet, so only the event loop's
// are cleared, and the log says so.
void Daemon::writeStats(bool clear) {
  std::string text;
  if (const auto status = vrrp_ ? vrrp_->status() : nullptr) text = vrrp::statsText(*status);
  if (dataplane_) text += dataplane::statsText(*dataplane_);
  text += bfd_.statsText();
  text += loopStatsText(loop_.stats());
  writeDump(runtime_dir_, "keel.stats", text);
  if (!clear) return;
  loop_.clearStats();
  base::logInfo("Statistics cleared: event loop (VRRP and data-plane counters are kept)");
}

base::Status Daemon::handleSignals() {
  for (auto [signo, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"}}) {
    KEEL_TRY(loop_.onSignal(signo, [this, why = name] { stop(why); }));
  }
  const std::pair<int, std::function<void()>> optional[] = {
      {SIGHUP, [this] { reload(nullptr); }},
      {SIGUSR1, [this] { writeDump(runtime_dir_, "keel.data", dataText(view())); }},
      {SIGUSR2, [this] { writeStats(false); }},
      {*signalNumberFor("JSON"),
       [this] { writeDump(runtime_dir_, "keel.json", ctl::dumpJson(dataJson(view()), 2) + "\n"); }},
      {*signalNumberFor("STATS_CLEAR"), [this] { writeStats(true); }},
      {*signalNumberFor("TDUMP"),
       [this] {
         logLines(
             threadDumpText(loop_.snapshot(), event::ChildProcess::running(loop_.clock().now())));
       }},
  };
  for (const auto& [signo, handler] : optional) {
    if (auto s = loop_.onSignal(signo, handler); !s) {
      base::logWarning("Unable to handle signal {}: {}", signo, s.error().str());
    }
  }
  return base::ok();
}

// The daemon proper, in the process that stays: engines, signals, then the loop.
int serve(const KeeldOptions& options, ConfigPtr config, const std::string& runtime_dir,
          StartupReport& report) {
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) {
    base::logError("Unable to start the event loop: {}", loop.error().str());
    report.report(kExitFatal);
    return kExitFatal;
  }
  const base::FdShares shares = planDescriptors(config, options.no_bfd);
  Daemon daemon(options, std::move(config), runtime_dir, **loop);
  daemon.setFdShares(shares);
  (*loop)->onFatal([&daemon](const std::string& why) { daemon.fail(why); });
  if (auto s = daemon.handleSignals(); !s) {
    base::logError("Unable to handle signals: {}", s.error().str());
    report.report(kExitFatal);
    return kExitFatal;
  }
  daemon.start();
  daemon.startControl();
  report.report(kExitOk);
  daemon.ready();
  const auto ran = (*loop)->run();
  ignoreSignals();
  if (!ran) {
    base::logError("Event loop failed: {}", ran.error().str());
    return kExitFatal;
  }
  return daemon.failed() ? kExitFatal : kExitOk;
}

// Takes the pid file, goes to the background unless -n, and serves. The pid file is locked
// before forking, so "already running" reaches whoever started keeld.
int runLocked(const KeeldOptions& options, ConfigPtr config, const std::string& runtime_dir) {
  const std::string pid_path = options.pid_file.value_or(runtime_dir + "/keeld.pid");
  auto pid_file = PidFile::lock(pid_path);
  if (!pid_file) {
    base::logError("{}", pid_file.error().str());
    if (pid_file.error().code == base::ErrorCode::State) return kExitOk;  // as keepalived
    return kExitFatal;
  }
  StartupReport report;
  if (!options.dont_fork) {
    auto forked = daemonize();
    if (!forked) {
      base::logError("Unable to run in the background: {}", forked.error().str());
      return kExitFatal;
    }
    if (forked->parent_exit) return *forked->parent_exit;
    report = std::move(forked->report);
  }
  const pid_t pid = ::getpid();
  if (auto s = pid_file->write(pid); !s) base::logError("{}", s.error().str());
  if (auto s = writeExtraPidFiles(options.extra_pid_files, pid); !s) {
    base::logError("{}", s.error().str());
  }
  const int code = serve(options, std::move(config), runtime_dir, report);
  removeExtraPidFiles(options.extra_pid_files, pid);
  return code;
}

}  // namespace

int runDaemon(const KeeldOptions& options) {
  holdSignals();
  base::logInfo("Starting keel v{}", kVersion);
  if (auto s = setUpProcess(options); !s) {
    base::logError("{}", s.error().str());
    return kExitFatal;
  }
  ConfigPtr config = loadConfig(options);
  if (options.dump_conf && config) logConfiguration(*config);
  auto dir = prepareRuntimeDir(options, config);
  if (!dir) {
    base::logError("Unable to use the runtime directory: {}", dir.error().str());
    return kExitFatal;
  }
  const int code = runLocked(options, std::move(config), *dir);
  ::rmdir(dir->c_str());  // only when empty: dumps an operator asked for stay
  base::logInfo("Stopped keel v{}", kVersion);
  return code;
}

}  // namespace keel::app
