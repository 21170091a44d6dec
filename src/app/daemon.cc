#include "app/daemon.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "app/config_test.h"
#include "app/control.h"
#include "app/dataplane_wiring.h"
#include "app/exit_codes.h"
#include "app/pid_file.h"
#include "app/process_setup.h"
#include "app/runtime_dir.h"
#include "app/sd_notify.h"
#include "app/services.h"
#include "app/state_dump.h"
#include "app/version.h"
#include "base/clock.h"
#include "base/log.h"
#include "check/probe_factory.h"
#include "conf/reader.h"
#include "ctl/config_json.h"
#include "event/loop.h"
#include "model/diff.h"
#include "vrrp/engine.h"

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

// Reads the configuration and logs every diagnostic. nullopt when it cannot be used: missing,
// unreadable, or with errors (keel does not run a half-understood configuration).
std::optional<model::Config> loadConfig(const KeeldOptions& options) {
  conf::Diagnostics diags;
  auto config = conf::readConfig(options.config_file, preprocessOptions(options), diags);
  if (!config) {
    base::logError("Unable to open configuration file {}: {}", options.config_file,
                   config.error().str());
    return std::nullopt;
  }
  for (const conf::Diagnostic& d : diags.all()) {
    std::string text = conf::render(d);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    auto first_line = text.substr(0, text.find('\n'));
    base::log(d.severity == conf::Severity::Error ? base::LogLevel::Error : base::LogLevel::Warning,
              "{}", first_line);
  }
  if (diags.errors() > 0) {
    base::logError("Configuration {} has {} error(s); not using it", options.config_file,
                   diags.errors());
    return std::nullopt;
  }
  base::logInfo("Configuration {} loaded: {} VRRP instance(s), {} virtual server(s)",
                options.config_file, config->vrrp_instances.size(), config->virtual_servers.size());
  return std::move(*config);
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

// The addresses a VRRP instance holds as MASTER, for ha_suspend.
std::vector<base::IpAddress> virtualAddresses(const model::Config& config,
                                              const std::string& instance) {
  std::vector<base::IpAddress> out;
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    if (vi.name != instance) continue;
    for (const model::VirtualIp& v : vi.virtual_ipaddress) out.push_back(v.address.address());
  }
  return out;
}

// Writes one operator file under the runtime directory and logs where it went.
void writeDump(const std::string& dir, const char* name, const std::string& text) {
  if (auto s = writeRuntimeFile(dir, name, text); !s) {
    base::logError("Unable to write {}: {}", name, s.error().str());
    return;
  }
  base::logInfo("Wrote {}/{}", dir, name);
}

// keepalived's signals (the loop handles them while it runs).
constexpr std::array<int, 5> kHandledSignals = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

// They wait (blocked) from the first moment until the loop reads them, so a signal sent while
// the configuration loads is handled, not fatal.
void holdSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : kHandledSignals) sigaddset(&mask, signo);
  sigaddset(&mask, *signalNumberFor("JSON"));
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

// Once the loop has stopped, a repeated signal (a second SIGTERM) must not kill keeld before it
// has cleaned up (pid file, runtime directory).
void ignoreSignals() {
  for (int signo : kHandledSignals) std::signal(signo, SIG_IGN);
  std::signal(*signalNumberFor("JSON"), SIG_IGN);
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
base::Result<std::string> prepareRuntimeDir(const KeeldOptions& options,
                                            const std::optional<model::Config>& config) {
  std::optional<std::string> instance = options.instance;
  if (!instance && config && !config->instance.empty()) instance = config->instance;
  auto dir = runtimeDir({options.runtime_dir, instance});
  if (!dir) return dir.error();
  KEEL_TRY(makeRuntimeDir(*dir));
  return dir;
}

// -d: keepalived dumps its parsed configuration to the log at start.
void logConfiguration(const model::Config& config) {
  const std::string text = ctl::toJson(config).dump(2);
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    base::logInfo("{}", std::string_view(text).substr(at, end - at));
    at = end + 1;
  }
}

// keeld's engines and signals on the control-plane loop.
class Daemon {
 public:
  Daemon(const KeeldOptions& options, std::optional<model::Config> config, std::string runtime_dir,
         event::Loop& loop)
      : options_(options),
        config_(std::move(config)),
        runtime_dir_(std::move(runtime_dir)),
        loop_(loop),
        probes_(check::makeProbeFactory([this] { return scriptPolicyOf(*config_); })),
        systemd_(SystemdNotifier::fromEnvironment()) {}

  void start();
  // The control socket and metrics (control.h); keeld runs on without them if they fail.
  void startControl();
  base::Status handleSignals();
  void ready() { notifySystemd("READY=1"); }

 private:
  bool wantChecks() const { return !options_.vrrp_only; }
  bool wantVrrp() const { return !options_.check_only; }
  void startVrrp();
  void syncDaemonRole();
  base::Status reload();
  void reloadVrrp(const std::shared_ptr<const model::Config>& config);
  void stop(const char* why);
  void notifySystemd(std::string_view state) const;
  RuntimeView view() const;

  const KeeldOptions& options_;
  std::optional<model::Config> config_;
  const std::string runtime_dir_;
  event::Loop& loop_;
  const check::ProbeFactory probes_;
  const SystemdNotifier systemd_;
  std::unique_ptr<vrrp::Engine> vrrp_;
  std::unique_ptr<DataplaneWiring> dataplane_;  // outlives `services_`, whose OnTable feeds it
  std::unique_ptr<Services> services_;
  std::unique_ptr<Operations> operations_;  // last: its getters read the members above
};

void Daemon::start() {
  if (!config_) return;
  if (wantChecks() && !config_->virtual_servers.empty()) {
    services_ = std::make_unique<Services>(loop_, std::make_shared<const model::Config>(*config_),
                                           probes_, tableSink(dataplane_));
  }
  if (wantVrrp() && !config_->vrrp_instances.empty()) startVrrp();
  if (wantChecks()) {
    syncDataplane(dataplane_, services_.get(), loop_, *config_, options_.keep_dataplane);
    syncDaemonRole();
  }
}

// lvs_sync_daemon follows its VRRP instance; after the data plane (re)starts it learns the
// instance's state now (its transitions come through on_transition).
void Daemon::syncDaemonRole() {
  if (!dataplane_ || !vrrp_ || !config_ || !config_->global.lvs_sync_daemon) return;
  for (const auto& instance : vrrp_->instances()) {
    if (instance->name() != config_->global.lvs_sync_daemon->instance) continue;
    const vrrp::State state = instance->machine().state();
    if (state != vrrp::State::Init)
      dataplane_->vrrpState(instance->name(), state == vrrp::State::Master);
  }
}

void Daemon::startVrrp() {
  vrrp::EngineOptions vrrp_options;
  vrrp_options.keep_addresses_on_stop = options_.keep_vips;
  vrrp_options.on_transition = [this](const std::string& name, vrrp::State from, vrrp::State to) {
    if (services_ && config_ && (from == vrrp::State::Master) != (to == vrrp::State::Master)) {
      services_->setAddressesPresent(virtualAddresses(*config_, name), to == vrrp::State::Master);
    }
    if (dataplane_ && to != vrrp::State::Init)
      dataplane_->vrrpState(name, to == vrrp::State::Master);
  };
  auto engine =
      vrrp::Engine::create(loop_, std::make_shared<const model::Config>(*config_), vrrp_options);
  if (!engine) {
    base::logError("VRRP not started: {}", engine.error().str());
    return;
  }
  vrrp_ = std::move(*engine);
  vrrp_->start();
}

// SIGHUP: a bad file is rejected and the running configuration stays; otherwise every engine
// takes the new one keeping its runtime state (VRRP states, checker states, connections).
base::Status Daemon::reload() {
  notifySystemd("RELOADING=1");
  base::logInfo("Reloading");
  std::optional<model::Config> next = loadConfig(options_);
  if (!next) {
    base::logError("Reload aborted: the running configuration stays");
    notifySystemd("READY=1");
    return base::makeError(base::ErrorCode::InvalidArgument,
                           "the configuration has errors; the running one stays (see the log)");
  }
  if (config_ && next->instance != config_->instance) {
    base::logWarning("Reload: 'instance' takes effect at restart; runtime files stay in {}",
                     runtime_dir_);
  }
  logChanges(config_ ? model::diff(*config_, *next) : model::diff({}, *next));
  config_ = std::move(next);
  auto shared = std::make_shared<const model::Config>(*config_);
  if (services_) {
    services_->reload(shared);
  } else if (wantChecks() && !config_->virtual_servers.empty()) {
    services_ = std::make_unique<Services>(loop_, shared, probes_, tableSink(dataplane_));
  }
  if (vrrp_) {
    reloadVrrp(shared);
  } else if (wantVrrp() && !config_->vrrp_instances.empty()) {
    startVrrp();
  }
  if (wantChecks()) {
    syncDataplane(dataplane_, services_.get(), loop_, *config_, options_.keep_dataplane);
    syncDaemonRole();
  }
  base::logInfo("Reload complete");
  notifySystemd("READY=1");
  return base::ok();
}

// The VIPs the MASTER instances hold (their addresses are "present" for ha_suspend).
std::set<base::IpAddress> masterAddresses(const vrrp::Engine& engine) {
  std::set<base::IpAddress> out;
  for (const auto& instance : engine.instances()) {
    if (instance->machine().state() != vrrp::State::Master) continue;
    for (const model::VirtualIp& v : instance->config().virtual_ipaddress) {
      out.insert(v.address.address());
    }
  }
  return out;
}

// The engine keeps each instance's state; ha_suspend learns the VIPs a MASTER gained or lost.
void Daemon::reloadVrrp(const std::shared_ptr<const model::Config>& config) {
  const std::set<base::IpAddress> before = masterAddresses(*vrrp_);
  vrrp_->reload(config);
  const std::set<base::IpAddress> after = masterAddresses(*vrrp_);
  if (!services_) return;
  std::vector<base::IpAddress> gained;
  std::vector<base::IpAddress> lost;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(gained));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(lost));
  if (!gained.empty()) services_->setAddressesPresent(gained, true);
  if (!lost.empty()) services_->setAddressesPresent(lost, false);
}

void Daemon::startControl() {
  auto ops = startOperations(
      loop_, runtime_dir_,
      sourcesOf(config_, vrrp_, services_, dataplane_, [this] { return reload(); }));
  if (!ops) {
    base::logError("Control socket not started: {}", ops.error().str());
    return;
  }
  operations_ = std::move(*ops);
}

void Daemon::stop(const char* why) {
  base::logInfo("Stopping ({})", why);
  notifySystemd("STOPPING=1");
  if (vrrp_) vrrp_->stop();
  loop_.stop();
}

void Daemon::notifySystemd(std::string_view state) const {
  if (auto s = systemd_.notify(state); !s) base::logWarning("{}", s.error().str());
}

RuntimeView Daemon::view() const {
  RuntimeView v = config_ ? collectView(*config_, vrrp_.get(), services_.get()) : RuntimeView{};
  v.config_file = options_.config_file;
  return v;
}

base::Status Daemon::handleSignals() {
  for (auto [signo, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"}}) {
    KEEL_TRY(loop_.onSignal(signo, [this, why = name] { stop(why); }));
  }
  const std::pair<int, std::function<void()>> optional[] = {
      {SIGHUP, [this] { (void)reload(); }},
      {SIGUSR1, [this] { writeDump(runtime_dir_, "keel.data", dataText(view())); }},
      {SIGUSR2,
       [this] {
         std::string text = vrrp_ ? vrrp_->statsText() : std::string();
         if (dataplane_) text += dataplane_->statsText();
         writeDump(runtime_dir_, "keel.stats", text);
       }},
      {*signalNumberFor("JSON"),
       [this] { writeDump(runtime_dir_, "keel.json", dataJson(view()).dump(2) + "\n"); }},
  };
  for (const auto& [signo, handler] : optional) {
    if (auto s = loop_.onSignal(signo, handler); !s) {
      base::logWarning("Unable to handle signal {}: {}", signo, s.error().str());
    }
  }
  return base::ok();
}

// The daemon proper, in the process that stays: engines, signals, then the loop.
int serve(const KeeldOptions& options, std::optional<model::Config> config,
          const std::string& runtime_dir, StartupReport& report) {
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) {
    base::logError("Unable to start the event loop: {}", loop.error().str());
    report.report(kExitFatal);
    return kExitFatal;
  }
  Daemon daemon(options, std::move(config), runtime_dir, **loop);
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
  return kExitOk;
}

// Takes the pid file, goes to the background unless -n, and serves. The pid file is locked
// before forking, so "already running" reaches whoever started keeld.
int runLocked(const KeeldOptions& options, std::optional<model::Config> config,
              const std::string& runtime_dir) {
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
  std::optional<model::Config> config = loadConfig(options);
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
