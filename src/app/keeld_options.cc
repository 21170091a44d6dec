#include "app/keeld_options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/address.h"
#include "base/log.h"

namespace keel::app {

namespace {

using base::ErrorCode;
using base::makeError;

// keepalived 2.2.7's options, in the order of its --help (internal debugging options omitted).
constexpr std::array kFlags = {
    FlagSpec{'f', "use-file", ArgKind::Required, "FILE",
             "Use the specified configuration file (default /etc/keel/keel.conf when it exists, "
             "else /etc/keepalived/keepalived.conf)",
             true},
    FlagSpec{'P', "vrrp", ArgKind::None, "",
             "Only run with VRRP subsystem (no checkers, no data plane)", true},
    FlagSpec{'C', "check", ArgKind::None, "",
             "Only run with Health-checker subsystem (checkers and data plane)", true},
    FlagSpec{'B', "no_bfd", ArgKind::None, "", "Don't run BFD subsystem", true},
    FlagSpec{'\0', "all", ArgKind::None, "",
             "Force all child processes to run, even if have no "
             "configuration (keel is one process that always runs: accepted, no effect)",
             true},
    FlagSpec{'l', "log-console", ArgKind::None, "", "Log messages to local console", true},
    FlagSpec{'D', "log-detail", ArgKind::None, "", "Detailed log messages", true},
    FlagSpec{'S', "log-facility", ArgKind::Required, "[0-7|local{0-7}|user|daemon]",
             "Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)", true},
    FlagSpec{'g', "log-file", ArgKind::Required, "FILE",
             "Also log to FILE (default "
             "/tmp/keepalived.log)",
             false},
    FlagSpec{'\0', "flush-log-file", ArgKind::None, "", "Flush log file on write", false},
    FlagSpec{'G', "no-syslog", ArgKind::None, "", "Don't log via syslog", true},
    FlagSpec{'X', "release-vips", ArgKind::None, "", "Drop VIP on transition from signal.", false},
    FlagSpec{'V', "dont-release-vrrp", ArgKind::None, "",
             "Don't remove VRRP VIPs and VROUTEs on "
             "daemon stop",
             true},
    FlagSpec{'I', "dont-release-ipvs", ArgKind::None, "",
             "Don't remove IPVS topology on daemon "
             "stop",
             true},
    FlagSpec{'R', "dont-respawn", ArgKind::None, "",
             "Don't respawn child processes (keel has none: accepted, no effect)", true},
    FlagSpec{'n', "dont-fork", ArgKind::None, "", "Don't fork the daemon process", true},
    FlagSpec{'d', "dump-conf", ArgKind::None, "",
             "Dump the configuration data (to the log at start)", true},
    FlagSpec{'p', "pid", ArgKind::Required, "FILE",
             "Use specified pidfile (default RUNTIME_DIR/keeld.pid, locked)", true},
    FlagSpec{'r', "vrrp_pid", ArgKind::Required, "FILE",
             "Also write keeld's pid to FILE (keel is one process: "
             "no VRRP child)",
             true},
    FlagSpec{'c', "checkers_pid", ArgKind::Required, "FILE",
             "Also write keeld's pid to FILE (keel is one "
             "process: no checkers child)",
             true},
    FlagSpec{'b', "bfd_pid", ArgKind::Required, "FILE",
             "Use specified pidfile for BFD child "
             "process",
             false},
    FlagSpec{'a', "address-monitoring", ArgKind::None, "",
             "Report all address additions/"
             "deletions notified via netlink",
             false},
    FlagSpec{'s', "namespace", ArgKind::Required, "NAME",
             "Run in network namespace NAME "
             "(overrides config)",
             true},
    FlagSpec{'e', "all-config", ArgKind::None, "",
             "Error if any configuration file missing "
             "(same as includet)",
             true},
    FlagSpec{'i', "config-id", ArgKind::Required, "ID",
             "Skip any configuration lines beginning "
             "'@' that don't match id",
             true},
    FlagSpec{'x', "snmp", ArgKind::None, "", "Enable SNMP subsystem", false},
    FlagSpec{'A', "snmp-agent-socket", ArgKind::Required, "FILE",
             "Use the specified socket for "
             "master agent",
             false},
    FlagSpec{'u', "umask", ArgKind::Required, "MASK",
             "umask for file creation (in numeric form: 022, 0x12, 18)", true},
    FlagSpec{'m', "core-dump", ArgKind::None, "", "Produce core dump if terminate abnormally",
             true},
    FlagSpec{'M', "core-dump-pattern", ArgKind::Optional, "PATN",
             "Also set /proc/sys/kernel/"
             "core_pattern to PATN (default 'core')",
             false},
    FlagSpec{'T', "genhash", ArgKind::None, "",
             "Enter genhash utilities mode (this option must "
             "be the first): -s HOST -p PORT -u URL [-S] [-V VHOST] [-P PROTO] [-t SECS]",
             true},
    FlagSpec{'t', "config-test", ArgKind::Optional, "LOG_FILE",
             "Check the configuration for "
             "obvious errors, output to stderr by default",
             true},
    FlagSpec{'\0', "signum", ArgKind::Required, "SIGFUNC",
             "Return signal number for STOP, "
             "RELOAD, DATA, STATS, STATS_CLEAR, JSON, TDUMP",
             true},
    FlagSpec{'\0', "dump-config", ArgKind::None, "",
             "Print the configuration as keel reads it, as JSON, and exit (keel extension)", true},
    FlagSpec{'\0', "diff", ArgKind::Optional, "RUNNING_FILE",
             "With -t: print the plan a reload to the -f file would apply, against RUNNING_FILE "
             "or else against the running keeld's configuration (keel extension)",
             true},
    FlagSpec{'\0', "keywords", ArgKind::None, "",
             "Print every keepalived keyword and what keel does with it, as Markdown "
             "(docs/compatibility.md), and exit (keel extension)",
             true},
    FlagSpec{'\0', "runtime-dir", ArgKind::Required, "DIR",
             "Keep runtime files (pid, control socket, dumps) under DIR (default /run/keel as "
             "root, else $XDG_RUNTIME_DIR/keel; keel extension)",
             true},
    FlagSpec{'\0', "instance", ArgKind::Required, "NAME",
             "Keep runtime files under DIR/NAME (default: the config's instance, else the "
             "network namespace's name; keel extension)",
             true},
    FlagSpec{'v', "version", ArgKind::None, "", "Display the version number", true},
    FlagSpec{'h', "help", ArgKind::None, "", "Display this help message", true},
};

const FlagSpec* byShort(char c) {
  auto it = std::find_if(kFlags.begin(), kFlags.end(),
                         [c](const FlagSpec& f) { return f.short_name == c; });
  return it == kFlags.end() ? nullptr : &*it;
}

const FlagSpec* byLong(std::string_view name) {
  auto it = std::find_if(kFlags.begin(), kFlags.end(),
                         [name](const FlagSpec& f) { return f.long_name == name; });
  return it == kFlags.end() ? nullptr : &*it;
}

std::string spelling(const FlagSpec& f) {
  if (f.short_name == '\0') return fmt::format("--{}", f.long_name);
  return fmt::format("-{} (--{})", f.short_name, f.long_name);
}

}  // namespace

base::Result<unsigned> parseUmask(std::string_view text) {
  int base = 10;
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits.front() == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  unsigned mask = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mask, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || mask > 0777) {
    return makeError(ErrorCode::InvalidArgument,
                     fmt::format("umask '{}': expected a number from 0 to 0777", text));
  }
  return mask;
}

namespace {

// -P / -C: keepalived runs only that subsystem; both together would run nothing.
base::Status selectSubsystem(char flag, KeeldOptions& o) {
  (flag == 'P' ? o.vrrp_only : o.check_only) = true;
  if (o.vrrp_only && o.check_only) {
    return makeError(ErrorCode::InvalidArgument,
                     "options -P (--vrrp) and -C (--check) exclude each other");
  }
  return base::ok();
}

// The operator flags (process, pid files, subsystems). REQUIRES: `value` as for apply().
base::Status applyOperator(const FlagSpec& f, const std::optional<std::string>& value,
                           KeeldOptions& o) {
  switch (f.short_name) {
    case 'P':
    case 'C':
      return selectSubsystem(f.short_name, o);
    case 'd':
      o.dump_conf = true;
      break;
    case 'p':
      o.pid_file = *value;
      break;
    case 'r':
    case 'c':
      o.extra_pid_files.push_back(*value);
      break;
    case 's':
      o.net_namespace = *value;
      break;
    case 'u': {
      auto mask = parseUmask(*value);
      if (!mask) return mask.error();
      o.umask = *mask;
      break;
    }
    case 'm':
      o.core_dump = true;
      break;
    case 'B':
      o.no_bfd = true;
      break;
    case 'R':
      break;  // keel has no child processes to respawn
    default:
      break;
  }
  return base::ok();
}

// Stores one recognised flag's effect. REQUIRES: `value` present iff the flag took an argument.
base::Status apply(const FlagSpec& f, const std::optional<std::string>& value, KeeldOptions& o) {
  if (!f.implemented) {
    return makeError(ErrorCode::Unsupported,
                     fmt::format("option {} is not implemented by keel yet", spelling(f)));
  }
  if (std::string_view("PCdprcsumBR").find(f.short_name) != std::string_view::npos) {
    return applyOperator(f, value, o);
  }
  switch (f.short_name) {
    case 'f':
      if (value->empty()) {
        return makeError(ErrorCode::InvalidArgument, "option -f (--use-file) needs a file name");
      }
      o.config_file = *value;
      break;
    case 'l':
      o.log_console = true;
      break;
    case 'D':
      o.log_detail = true;
      break;
    case 'S': {
      auto facility = base::parseSyslogFacility(*value);
      if (!facility) return facility.error();
      o.log_facility = *facility;
      break;
    }
    case 'G':
      o.no_syslog = true;
      break;
    case 'n':
      o.dont_fork = true;
      break;
    case 'V':
      o.keep_vips = true;
      break;
    case 'I':
      o.keep_dataplane = true;
      break;
    case 'e':
      o.all_config = true;
      break;
    case 'i':
      o.config_id = *value;
      break;
    case 't':
      if (value) {
        return makeError(ErrorCode::Unsupported,
                         "option -t (--config-test) with a log file is not implemented by keel "
                         "yet; its messages go to stderr");
      }
      o.config_test = true;
      break;
    case 'v':
      o.version = true;
      break;
    case 'h':
      o.help = true;
      break;
    case 'T':
      return makeError(ErrorCode::InvalidArgument,
                       "option -T (--genhash) must be the first option");
    default:
      if (f.long_name == "signum") o.signum = *value;
      if (f.long_name == "dump-config") o.dump_config = true;
      if (f.long_name == "keywords") o.keywords = true;
      if (f.long_name == "diff") o.diff = value.value_or("");
      if (f.long_name == "runtime-dir") o.runtime_dir = *value;
      if (f.long_name == "instance") o.instance = *value;
      break;
  }
  return base::ok();
}

// One "--name[=value]" argument; may consume the next argv entry for a required value.
base::Status parseLong(std::string_view arg, std::span<const char* const> argv, std::size_t& i,
                       KeeldOptions& o) {
  std::string_view name = arg.substr(2);
  std::optional<std::string> value;
  if (auto eq = name.find('='); eq != std::string_view::npos) {
    value = std::string(name.substr(eq + 1));
    name = name.substr(0, eq);
  }
  const FlagSpec* f = byLong(name);
  if (f == nullptr)
    return makeError(ErrorCode::InvalidArgument, fmt::format("Unknown option {}", arg));
  if (f->arg == ArgKind::None && value) {
    return makeError(ErrorCode::InvalidArgument,
                     fmt::format("option '--{}' doesn't allow an argument", f->long_name));
  }
  if (f->arg == ArgKind::Required && !value) {
    if (i + 1 >= argv.size()) {
      return makeError(ErrorCode::InvalidArgument,
                       fmt::format("option '--{}' requires an argument", f->long_name));
    }
    value = std::string(argv[++i]);
  }
  return apply(*f, value, o);
}

// One "-abc" bundle; a flag taking a value ends the bundle.
base::Status parseShort(std::string_view arg, std::span<const char* const> argv, std::size_t& i,
                        KeeldOptions& o) {
  for (std::size_t k = 1; k < arg.size(); ++k) {
    const FlagSpec* f = byShort(arg[k]);
    if (f == nullptr) {
      return makeError(ErrorCode::InvalidArgument, fmt::format("Unknown option -{}", arg[k]));
    }
    std::optional<std::string> value;
    std::string_view rest = arg.substr(k + 1);
    if (f->arg == ArgKind::Required) {
      if (rest.empty() && i + 1 >= argv.size()) {
        return makeError(ErrorCode::InvalidArgument,
                         fmt::format("option requires an argument -- '{}'", f->short_name));
      }
      value = rest.empty() ? std::string(argv[++i]) : std::string(rest);
    } else if (f->arg == ArgKind::Optional && !rest.empty()) {
      value = std::string(rest);
    }
    KEEL_TRY(apply(*f, value, o));
    if (f->arg != ArgKind::None) break;
  }
  return base::ok();
}

// genhash's own flags (keepalived's check_genhash options that keel implements).
struct GenhashFlag {
  char short_name;
  std::string_view long_name;
  bool takes_value;
};
constexpr std::array kGenhashFlags = {
    GenhashFlag{'s', "server", true},
    GenhashFlag{'p', "port", true},
    GenhashFlag{'u', "url", true},
    GenhashFlag{'S', "use-ssl", false},
    GenhashFlag{'V', "use-virtualhost", true},
    GenhashFlag{'P', "protocol", true},
    GenhashFlag{'t', "timeout", true},
};

base::Status applyGenhash(char flag, const std::string& value, check::GenhashOptions& g) {
  switch (flag) {
    case 's':
      g.server = value;
      break;
    case 'p': {
      auto port = base::parsePort(value);
      if (!port || *port == 0) {
        return makeError(ErrorCode::InvalidArgument, fmt::format("genhash: bad port '{}'", value));
      }
      g.port = *port;
      break;
    }
    case 'u':
      g.url = value;
      break;
    case 'S':
      g.tls = true;
      break;
    case 'V':
      g.virtualhost = value;
      break;
    case 'P':
      if (value != "1.0" && value != "1.0C" && value != "1.0c" && value != "1.1") {
        return makeError(ErrorCode::InvalidArgument,
                         fmt::format("genhash: protocol '{}': expected 1.0, 1.0C or 1.1", value));
      }
      g.http_protocol = value;
      break;
    case 't': {
      char* end = nullptr;
      const double secs = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(secs > 0 && secs <= 3600)) {
        return makeError(ErrorCode::InvalidArgument,
                         fmt::format("genhash: bad timeout '{}': expected seconds 0-3600", value));
      }
      g.timeout = std::chrono::duration_cast<base::Duration>(std::chrono::duration<double>(secs));
      break;
    }
    default:
      break;
  }
  return base::ok();
}

// One genhash argument at argv[i]: "-x V", "-xV", "--long V" or "--long=V".
base::Status parseGenhashArg(std::span<const char* const> argv, std::size_t& i,
                             check::GenhashOptions& g) {
  const std::string_view arg = argv[i];
  const GenhashFlag* flag = nullptr;
  std::optional<std::string> value;
  if (arg.starts_with("--")) {
    std::string_view name = arg.substr(2);
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    for (const GenhashFlag& f : kGenhashFlags) {
      if (f.long_name == name) flag = &f;
    }
  } else if (arg.size() >= 2 && arg[0] == '-') {
    for (const GenhashFlag& f : kGenhashFlags) {
      if (f.short_name == arg[1]) flag = &f;
    }
    if (arg.size() > 2) value = std::string(arg.substr(2));
  }
  if (flag == nullptr || (!flag->takes_value && value)) {
    return makeError(ErrorCode::InvalidArgument, fmt::format("genhash: unknown option {}", arg));
  }
  if (flag->takes_value && !value) {
    if (i + 1 >= argv.size()) {
      return makeError(ErrorCode::InvalidArgument,
                       fmt::format("genhash: option {} requires an argument", arg));
    }
    value = std::string(argv[++i]);
  }
  return applyGenhash(flag->short_name, value.value_or(""), g);
}

}  // namespace

std::span<const FlagSpec> keeldFlags() { return kFlags; }

base::Result<check::GenhashOptions> parseGenhashArgs(std::span<const char* const> argv) {
  check::GenhashOptions g;
  g.url.clear();
  for (std::size_t i = 2; i < argv.size(); ++i) KEEL_TRY(parseGenhashArg(argv, i, g));
  if (g.server.empty() || g.port == 0 || g.url.empty()) {
    return makeError(ErrorCode::InvalidArgument,
                     "genhash: -s SERVER, -p PORT and -u URL are required");
  }
  return g;
}

std::string defaultConfigFile(const PathExists& exists) {
  const std::string keel{kKeelConfigFile};
  return exists(keel) ? keel : std::string(kKeepalivedConfigFile);
}

base::Result<KeeldOptions> parseKeeldArgs(std::span<const char* const> argv) {
  return parseKeeldArgs(argv, [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
  });
}

base::Result<KeeldOptions> parseKeeldArgs(std::span<const char* const> argv,
                                          const PathExists& exists) {
  KeeldOptions o;
  if (argv.size() > 1 &&
      (std::string_view(argv[1]) == "-T" || std::string_view(argv[1]) == "--genhash")) {
    auto g = parseGenhashArgs(argv);
    if (!g) return g.error();
    o.genhash = std::move(*g);
    return o;
  }
  o.config_file.clear();  // set by -f, else the default below
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--") && arg.size() > 2) {
      KEEL_TRY(parseLong(arg, argv, i, o));
    } else if (arg.starts_with("-") && arg.size() > 1 && arg != "--") {
      KEEL_TRY(parseShort(arg, argv, i, o));
    } else {
      return makeError(ErrorCode::InvalidArgument, fmt::format("Unexpected argument '{}'", arg));
    }
  }
  if (o.config_file.empty()) o.config_file = defaultConfigFile(exists);
  return o;
}

std::string keeldHelp() {
  constexpr std::size_t kHelpColumn = 34;
  std::string out =
      "Usage: keeld [OPTION...]\n"
      "keel's daemon; reads keepalived.conf and accepts keepalived's options.\n\n";
  for (const FlagSpec& f : kFlags) {
    std::string lhs = f.short_name != '\0' ? fmt::format("-{}, --{}", f.short_name, f.long_name)
                                           : fmt::format("    --{}", f.long_name);
    if (f.arg == ArgKind::Required) lhs += fmt::format("={}", f.arg_name);
    if (f.arg == ArgKind::Optional) lhs += fmt::format("[={}]", f.arg_name);
    if (lhs.size() > kHelpColumn) lhs += "\n" + std::string(kHelpColumn + 2, ' ');
    out += fmt::format("  {:<{}} {}{}\n", lhs, kHelpColumn, f.help,
                       f.implemented ? "" : " (not implemented yet)");
  }
  return out;
}

base::Result<int> signalNumberFor(std::string_view sigfunc) {
  if (sigfunc == "STOP") return SIGTERM;
  if (sigfunc == "RELOAD") return SIGHUP;
  if (sigfunc == "DATA") return SIGUSR1;
  if (sigfunc == "STATS") return SIGUSR2;
  if (sigfunc == "STATS_CLEAR") return SIGRTMAX - 1;
  if (sigfunc == "JSON") return SIGRTMIN + 2;
  if (sigfunc == "TDUMP") return SIGRTMAX;
  return makeError(ErrorCode::InvalidArgument,
                   fmt::format("Unknown sigfunc {}: expected STOP, RELOAD, DATA, STATS, "
                               "STATS_CLEAR, JSON or TDUMP",
                               sigfunc));
}

}  // namespace keel::app
