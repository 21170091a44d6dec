// keeld -t: read the configuration, print every diagnostic to stderr, and exit with the code
// keepalived 2.2.7 really returns (docs/reference/keepalived.md §4.1): 0 ok (also for a missing
// main file without -e), 4 the config cannot run (missing file with -e), 5 errors but it would run,
// 6 a script would run as root without enable_script_security. Main thread.
#pragma once

#include "app/keeld_options.h"
#include "conf/preprocessor.h"

namespace keel::app {

inline constexpr int kConfigCheckOk = 0;
inline constexpr int kConfigCheckCannotRun = 4;
inline constexpr int kConfigCheckErrors = 5;
inline constexpr int kConfigCheckScriptSecurity = 6;

// The preprocessor options keeld uses for `options` (config id from -i or the short host name).
conf::PreprocessOptions preprocessOptions(const KeeldOptions& options);

// With options.dump_config, also prints the bound model as JSON on stdout.
int runConfigCheck(const KeeldOptions& options);

}  // namespace keel::app
