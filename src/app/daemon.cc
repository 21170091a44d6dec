#include "app/daemon.h"

#include <syslog.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <vector>

#include "app/exit_codes.h"
#include "app/version.h"
#include "base/clock.h"
#include "base/log.h"
#include "event/loop.h"

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

int runDaemon(const KeeldOptions& options) {
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) {
    base::logError("Unable to start the event loop: {}", loop.error().str());
    return kExitFatal;
  }
  base::logInfo("Starting keel v{}", kVersion);
  if (::access(options.config_file.c_str(), R_OK) != 0) {
    base::logWarning("Unable to open configuration file {}", options.config_file);
  }
  base::logWarning(
      "Configuration {} not loaded: the keepalived.conf reader is not implemented "
      "by keel yet",
      options.config_file);
  auto stop = [&](const char* why) {
    return [&loop, why] {
      base::logInfo("Stopping ({})", why);
      (*loop)->stop();
    };
  };
  for (auto [signo, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"}}) {
    if (auto s = (*loop)->onSignal(signo, stop(name)); !s) {
      base::logError("Unable to handle {}: {}", name, s.error().str());
      return kExitFatal;
    }
  }
  auto hup = (*loop)->onSignal(SIGHUP, [] {
    base::logInfo("Reloading: nothing to reload, the configuration reader is not implemented yet");
  });
  if (!hup) base::logWarning("Unable to handle SIGHUP: {}", hup.error().str());
  if (auto s = (*loop)->run(); !s) {
    base::logError("Event loop failed: {}", s.error().str());
    return kExitFatal;
  }
  base::logInfo("Stopped keel v{}", kVersion);
  return kExitOk;
}

}  // namespace keel::app
