// keeld's command line: keepalived's flags, parsed from one table that also writes --help.
//
// Every flag keepalived 2.2.7 accepts is in the table (reference: docs/reference/keepalived.md
// §4.1), with its short and long spelling and whether keel implements it yet. Parsing follows
// getopt_long: bundled short flags (-lnD), "-f FILE" / "-fFILE", "--use-file FILE" /
// "--use-file=FILE", optional arguments only attached ("-tFILE", "--config-test=FILE"). A flag keel
// does not implement yet is refused with a message that says so, never silently ignored. Pure but
// for one look at the file system (does /etc/keel/keel.conf exist?); any thread.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "check/genhash.h"

namespace keel::app {

enum class ArgKind { None, Required, Optional };

struct FlagSpec {
  char short_name;  // '\0' when the flag has only a long name
  std::string_view long_name;
  ArgKind arg;
  std::string_view arg_name;  // shown in --help, e.g. "FILE"
  std::string_view help;
  bool implemented;
};

std::span<const FlagSpec> keeldFlags();

// keeld's configuration when -f is not given: keel's own file when it exists, else keepalived's,
// so a host moving from keepalived runs keeld on the file it has (docs/operations.md).
inline constexpr std::string_view kKeelConfigFile = "/etc/keel/keel.conf";
inline constexpr std::string_view kKeepalivedConfigFile = "/etc/keepalived/keepalived.conf";

// Whether a path names anything (a file, a directory, a dangling symlink does not).
using PathExists = std::function<bool(const std::string&)>;

// kKeelConfigFile when `exists` says it exists, else kKeepalivedConfigFile.
std::string defaultConfigFile(const PathExists& exists);

struct KeeldOptions {
  std::string config_file{kKeepalivedConfigFile};  // -f; else defaultConfigFile()
  bool log_console = false;                        // -l
  bool log_detail = false;                         // -D
  std::optional<int> log_facility;                 // -S, a LOG_* value
  bool no_syslog = false;                          // -G
  bool dont_fork = false;                          // -n
  bool keep_vips = false;                          // -V
  bool keep_dataplane = false;  // -I: leave the XDP program attached on stop (IPVS's topology)
  bool vrrp_only = false;       // -P: VRRP, no checkers and no data plane
  bool check_only = false;      // -C: checkers and the data plane, no VRRP
  bool no_bfd = false;          // -B: no BFD engine
  bool dump_conf = false;       // -d: the configuration summary to the log at start
  std::optional<std::string> pid_file;       // -p; unset: RUNTIME_DIR/keeld.pid
  std::vector<std::string> extra_pid_files;  // -r, -c: the same pid (keel is one process)
  std::optional<std::string> net_namespace;  // -s: setns into /run/netns/NAME first
  std::optional<unsigned> umask;             // -u
  bool core_dump = false;                    // -m: RLIMIT_CORE unlimited
  std::optional<std::string> runtime_dir;    // --runtime-dir (keel extension; app/runtime_dir.h)
  std::optional<std::string> instance;       // --instance (keel extension)
  bool config_test = false;                  // -t
  std::optional<std::string> config_id;      // -i; unset: the short host name
  bool dump_config = false;                  // --dump-config (keel extension)
  // --diff[=RUNNING_FILE] (keel extension, with -t): the reload plan against RUNNING_FILE, or
  // against the running keeld's configuration when empty.
  std::optional<std::string> diff;
  bool keywords = false;                         // --keywords (keel extension)
  bool all_config = false;                       // -e
  std::optional<std::string> signum;             // --signum=SIGFUNC
  bool help = false;                             // -h
  bool version = false;                          // -v
  std::optional<check::GenhashOptions> genhash;  // -T/--genhash, then its own
};

// Parses argv (argv[0] is the program name). Without -f the configuration is
// defaultConfigFile(exists); the one-argument form asks the file system. Errors (InvalidArgument
// / Unsupported) carry the whole message to print, e.g. "Unknown option --foo" or
// "option -P (--vrrp) is not implemented by keel yet".
base::Result<KeeldOptions> parseKeeldArgs(std::span<const char* const> argv,
                                          const PathExists& exists);
base::Result<KeeldOptions> parseKeeldArgs(std::span<const char* const> argv);

// `keeld --genhash ARGS` (or -T; it must come first, as in keepalived): keepalived's genhash
// options -s/--server HOST, -p/--port PORT, -u/--url PATH (all three required), -S/--use-ssl,
// -V/--use-virtualhost NAME, -P/--protocol 1.0|1.0C|1.1, -t/--timeout SECONDS (default 5).
// REQUIRES: argv[0] is the program name and argv[1] the genhash flag.
base::Result<check::GenhashOptions> parseGenhashArgs(std::span<const char* const> argv);

// -u's value in keepalived's numeric form (strtoul base 0: "022" octal, "0x12" hex, "18"
// decimal). Errors: InvalidArgument for anything else or a mask above 0777.
base::Result<unsigned> parseUmask(std::string_view text);

// The --help text, generated from keeldFlags().
std::string keeldHelp();

// --signum: the signal number for keepalived's SIGFUNC names (STOP, RELOAD, DATA, STATS,
// STATS_CLEAR, JSON, TDUMP). Errors: InvalidArgument for any other name.
base::Result<int> signalNumberFor(std::string_view sigfunc);

}  // namespace keel::app
