// Daemon: keeld's run loop — logging set up from the command line, the configuration read at
// start and on SIGHUP (a bad file is rejected and the running configuration stays; the changes
// are logged by identity), the event loop, and keepalived's signals. The engines (VRRP,
// checkers, lb, data plane) are wired in here as their issues land. Lives on the main thread,
// which is the control-plane loop's.
#pragma once

#include "app/keeld_options.h"

namespace keel::app {

// Routes base::Logger per the options: syslog unless -G, stderr too with -l, Debug with -D.
void setUpLogging(const KeeldOptions& options);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int runDaemon(const KeeldOptions& options);

}  // namespace keel::app
