// Daemon: keeld's run loop — logging set up from the command line, the event loop, and
// keepalived's signals. The engines (config, VRRP, checkers, lb, data plane) are wired in here
// as their issues land; today it starts, reports what it cannot do yet, and stops in order on
// SIGTERM/SIGINT. Lives on the main thread, which is the control-plane loop's.
#pragma once

#include "app/keeld_options.h"

namespace keel::app {

// Routes base::Logger per the options: syslog unless -G, stderr too with -l, Debug with -D.
void setUpLogging(const KeeldOptions& options);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int runDaemon(const KeeldOptions& options);

}  // namespace keel::app
