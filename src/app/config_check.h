// keeld -t: read the configuration, print every diagnostic to stderr (semantic ones at the
// statement at fault), and exit with the code keepalived 2.2.7 really returns
// (docs/reference/keepalived.md §4.1): 0 ok (also for a missing main file without -e), 4 the
// config cannot run (missing file with -e), 5 configuration errors, 6 valid but a script would
// run as root without enable_script_security. Main thread.
#pragma once

#include "app/keeld_options.h"
#include "conf/preprocessor.h"

namespace keel::app {

inline constexpr int kConfigCheckOk = 0;
inline constexpr int kConfigCheckCannotRun = 4;
inline constexpr int kConfigCheckErrors = 5;
inline constexpr int kConfigCheckScriptSecurity = 6;

// The preprocessor options keeld uses for `options` (config id from -i or the short host name,
// the environment as it is now for ${_ENV}).
conf::PreprocessOptions preprocessOptions(const KeeldOptions& options);

// With options.dump_config, also prints the bound model as JSON on stdout.
int runConfigCheck(const KeeldOptions& options);

// The exit code of keeld -t from what was found (printing keepalived's closing line for a
// missing interface or insecure scripts): 4 for a missing include with -e, else 5 for any
// configuration error (which outranks script security), else 6 for insecure scripts, else 0.
int configTestVerdict(const conf::Diagnostics& diags, bool all_config, bool missing_interface,
                      bool insecure);

}  // namespace keel::app
