#include "app/daemon.h"

#include <syslog.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <optional>
#include <vector>

#include "app/config_test.h"
#include "app/control.h"
#include "app/dataplane_wiring.h"
#include "app/exit_codes.h"
#include "app/runtime_dir.h"
#include "app/services.h"
#include "app/version.h"
#include "base/clock.h"
#include "base/log.h"
#include "check/probe_factory.h"
#include "conf/reader.h"
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

// SIGUSR2: keel.stats with the VRRP and the data plane statistics.
void writeStats(const KeeldOptions& options, vrrp::Engine* vrrp, DataplaneWiring* dataplane) {
  std::string text = vrrp != nullptr ? vrrp->statsText() : std::string();
  if (dataplane != nullptr) text += dataplane->statsText();
  auto dir = runtimeDir({options.runtime_dir, options.instance});
  if (!dir) {
    base::logError("Unable to write the statistics: {}", dir.error().str());
    return;
  }
  if (auto s = writeRuntimeFile(*dir, "keel.stats", text); !s) {
    base::logError("Unable to write the statistics: {}", s.error().str());
    return;
  }
  base::logInfo("Wrote {}/keel.stats", *dir);
}

// The control socket (and metrics) under the runtime directory; keeld runs without them when
// they cannot start.
std::unique_ptr<Operations> startControl(const KeeldOptions& options, event::Loop& loop,
                                         const std::optional<model::Config>& config,
                                         const std::unique_ptr<vrrp::Engine>& vrrp,
                                         const std::unique_ptr<Services>& services,
                                         const std::unique_ptr<DataplaneWiring>& dataplane,
                                         std::function<base::Status()> reload) {
  auto dir = runtimeDir({options.runtime_dir, options.instance});
  auto ops = dir ? startOperations(loop, *dir,
                                   sourcesOf(config, vrrp, services, dataplane, std::move(reload)))
                 : base::Result<std::unique_ptr<Operations>>(dir.error());
  if (!ops) {
    base::logError("Control socket not started: {}", ops.error().str());
    return nullptr;
  }
  return std::move(*ops);
}

}  // namespace

int runDaemon(const KeeldOptions& options) {
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) {
    base::logError("Unable to start the event loop: {}", loop.error().str());
    return kExitFatal;
  }
  base::logInfo("Starting keel v{}", kVersion);
  std::optional<model::Config> config = loadConfig(options);
  std::unique_ptr<vrrp::Engine> vrrp_engine;
  std::unique_ptr<DataplaneWiring> dataplane;  // outlives `services`, whose OnTable feeds it
  std::unique_ptr<Services> services;
  const check::ProbeFactory probes =
      check::makeProbeFactory([&config] { return scriptPolicyOf(*config); });
  if (config && !config->virtual_servers.empty()) {
    services = std::make_unique<Services>(**loop, std::make_shared<const model::Config>(*config),
                                          probes, tableSink(dataplane));
  }
  if (config && !config->vrrp_instances.empty()) {
    vrrp::EngineOptions vrrp_options;
    vrrp_options.keep_addresses_on_stop = options.keep_vips;
    vrrp_options.on_transition = [&services, &config](const std::string& name, vrrp::State from,
                                                      vrrp::State to) {
      if (services && config && (from == vrrp::State::Master) != (to == vrrp::State::Master)) {
        services->setAddressesPresent(virtualAddresses(*config, name), to == vrrp::State::Master);
      }
    };
    auto engine =
        vrrp::Engine::create(**loop, std::make_shared<const model::Config>(*config), vrrp_options);
    if (engine) {
      vrrp_engine = std::move(*engine);
      vrrp_engine->start();
    } else {
      base::logError("VRRP not started: {}", engine.error().str());
    }
  }
  if (config) syncDataplane(dataplane, services.get(), **loop, *config, options.keep_dataplane);
  auto stop = [&](const char* why) {
    return [&loop, &vrrp_engine, why] {
      base::logInfo("Stopping ({})", why);
      if (vrrp_engine) vrrp_engine->stop();
      (*loop)->stop();
    };
  };
  for (auto [signo, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"}}) {
    if (auto s = (*loop)->onSignal(signo, stop(name)); !s) {
      base::logError("Unable to handle {}: {}", name, s.error().str());
      return kExitFatal;
    }
  }
  auto reload = [&]() -> base::Status {
    base::logInfo("Reloading");
    std::optional<model::Config> next = loadConfig(options);
    if (!next) {
      base::logError("Reload aborted: the running configuration stays");
      return base::makeError(base::ErrorCode::InvalidArgument, "the configuration has errors");
    }
    logChanges(config ? model::diff(*config, *next) : model::diff({}, *next));
    config = std::move(next);
    auto shared = std::make_shared<const model::Config>(*config);
    if (services) {
      services->reload(shared);
    } else if (!config->virtual_servers.empty()) {
      services = std::make_unique<Services>(**loop, shared, probes, tableSink(dataplane));
    }
    syncDataplane(dataplane, services.get(), **loop, *config, options.keep_dataplane);
    return base::ok();
  };
  auto hup = (*loop)->onSignal(SIGHUP, [&] { (void)reload(); });
  if (!hup) base::logWarning("Unable to handle SIGHUP: {}", hup.error().str());
  auto operations = startControl(options, **loop, config, vrrp_engine, services, dataplane, reload);
  auto usr2 =
      (*loop)->onSignal(SIGUSR2, [&] { writeStats(options, vrrp_engine.get(), dataplane.get()); });
  if (!usr2) base::logWarning("Unable to handle SIGUSR2: {}", usr2.error().str());
  if (auto s = (*loop)->run(); !s) {
    base::logError("Event loop failed: {}", s.error().str());
    return kExitFatal;
  }
  base::logInfo("Stopped keel v{}", kVersion);
  return kExitOk;
}

}  // namespace keel::app
