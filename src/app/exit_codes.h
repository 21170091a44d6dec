// keeld's exit codes: keepalived's (scheduler.h in keepalived 2.2.7), so scripts and systemd
// units written for keepalived read keeld's the same way. Config-test codes (-t) differ from the
// daemon's and are kept by the config reader.
#pragma once

namespace keel::app {

enum ExitCode : int {
  kExitOk = 0,
  kExitFatal = 1,  // includes bad command-line options, as keepalived
  kExitConfig = 2,
  kExitMissingPermission = 4,
  kExitNoConfig = 6,
  kExitProgramError = 70,
  kExitNoMemory = 204,
};

}  // namespace keel::app
