#include "app/config_check.h"

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "app/control_client.h"
#include "app/reload_report.h"
#include "app/runtime_dir.h"
#include "conf/reader.h"
#include "ctl/config_json.h"
#include "event/script_policy.h"
#include "model/scripts.h"

namespace keel::app {

namespace {

std::string shortHostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return {};
  std::string name(buf.data());
  return name.substr(0, name.find('.'));
}

// keepalived -t also checks that the interfaces a configuration names exist on this host; a
// missing one is a configuration error there, so it is one here, at the statement naming it.
// Returns whether one is missing.
bool checkInterfaces(const model::Config& config, const std::string& file,
                     const conf::SourceIndex& index, conf::Diagnostics& diags) {
  bool missing = false;
  auto check = [&](const std::string& name, const std::string& who, const model::Subject& at) {
    if (!name.empty() && ::if_nametoindex(name.c_str()) == 0) {
      missing = true;
      index.report(diags, file, true, fmt::format("({}) interface {} doesn't exist", who, name),
                   at);
    }
  };
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    check(vi.interface, vi.name, {"vrrp_instance", vi.name, "interface"});
    for (const model::TrackRef& t : vi.track_interface) {
      check(t.name, vi.name, {"vrrp_instance", vi.name, "track_interface", t.name});
    }
    for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded}) {
      const char* keyword =
          list == &vi.virtual_ipaddress ? "virtual_ipaddress" : "virtual_ipaddress_excluded";
      for (const model::VirtualIp& vip : *list) {
        check(vip.dev, vi.name, {"vrrp_instance", vi.name, keyword, vip.address.str()});
      }
    }
  }
  return missing;
}

std::optional<uid_t> uidOf(const std::string& user) {
  auto found = event::lookupUser(user);
  return found ? std::optional<uid_t>(found->uid) : std::nullopt;
}

// keepalived ignores a script whose program is not there when judging security; a program that
// exists but is not executable still counts.
bool programExists(const std::string& program) {
  return event::findProgram(program, false).has_value();
}

// keepalived 2.2.7 disables a vrrp_script whose program is missing, which `-t` counts as an error.
void checkScriptsExist(const model::Config& config, const std::string& file,
                       const conf::SourceIndex& index, conf::Diagnostics& diags) {
  for (const model::VrrpScript& s : config.vrrp_scripts) {
    if (!s.script.empty() && !programExists(s.script.argv[0])) {
      index.report(diags, file, true,
                   fmt::format("Disabling track script {} since not found/accessible", s.name),
                   {"vrrp_script", s.name, "script"});
    }
  }
}

// keepalived 2.2.7 runs a script without a user as keepalived_script when that user exists, else
// as root; running any script as root without enable_script_security makes `-t` exit 6.
// With enable_script_security, keepalived refuses to fall back to root for a script without a
// user when the user keepalived_script does not exist (an error, the script is not run).
bool scriptsRunAsRootInsecurely(const model::Config& config, const std::string& file,
                                const conf::SourceIndex& index, conf::Diagnostics& diags) {
  const bool have_default_user = uidOf("keepalived_script").has_value();
  const std::string fallback = have_default_user ? "keepalived_script" : "root";
  for (const model::ScriptUse& use : model::scriptsOf(config)) {
    if (!programExists(use.script->argv[0])) continue;
    if (config.global.enable_script_security) {
      if (!have_default_user && model::effectiveUser(*use.script, config.global, "").empty()) {
        index.report(diags, file, true,
                     fmt::format("{}: Unable to set default user keepalived_script for script - "
                                 "removing",
                                 use.where),
                     use.subject);
      }
      continue;
    }
    if (uidOf(model::effectiveUser(*use.script, config.global, fallback)) == uid_t{0}) return true;
  }
  return false;
}

// keeld -t --diff=RUNNING_FILE: the plan from RUNNING_FILE to the checked file, on stdout.
int diffFiles(const KeeldOptions& options, const std::string& running, const model::Config& after) {
  conf::Diagnostics diags;
  auto before = conf::readConfig(running, preprocessOptions(options), diags);
  if (!before || diags.errors() > 0) {
    fmt::print(stderr, "{}{}: cannot compare with it: {}\n", diags.renderAll(), running,
               before ? fmt::format("{} error(s)", diags.errors()) : before.error().str());
    return kConfigCheckCannotRun;
  }
  fmt::print("{}", planText(planOf(*before, after)));
  return kConfigCheckOk;
}

// keeld -t --diff: the running keeld (found as keelctl finds it) reads the file off its loop and
// answers with the plan against its running configuration.
int askRunningKeeld(const KeeldOptions& options, const model::Config& after) {
  RuntimeDirRequest where;
  where.base = options.runtime_dir;
  where.instance = options.instance;
  if (!where.instance && !after.instance.empty()) where.instance = after.instance;
  auto dir = runtimeDir(where);
  std::error_code ec;
  auto file = std::filesystem::absolute(options.config_file, ec).lexically_normal().string();
  auto answer = dir ? controlRequest(*dir + "/keel.sock", {{"cmd", "reload"}, {"check", file}},
                                     std::chrono::seconds(150))
                    : base::Result<nlohmann::ordered_json>(dir.error());
  if (!answer) {
    fmt::print(stderr, "--diff: no running keeld to compare with: {}\n", answer.error().message);
    return kConfigCheckCannotRun;
  }
  if (answer->value("ok", false) != true) {
    fmt::print(stderr, "--diff: {}\n", answer->value("error", std::string("no answer")));
    return kConfigCheckErrors;
  }
  fmt::print("{}", answer->value("text", std::string()));
  return kConfigCheckOk;
}

}  // namespace

conf::PreprocessOptions preprocessOptions(const KeeldOptions& options) {
  conf::PreprocessOptions p;
  p.config_id = options.config_id.value_or(shortHostName());
  p.all_config = options.all_config;
  // A copy of the environment now: the reader may run on another thread, where getenv is not
  // safe to call.
  auto env = std::make_shared<std::map<std::string, std::string>>();
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env->emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  p.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env->find(name);
    return it != env->end() ? std::optional<std::string>(it->second) : std::nullopt;
  };
  return p;
}

int runConfigCheck(const KeeldOptions& options) {
  conf::Diagnostics diags;
  conf::SourceIndex index;
  base::SteadyClock clock;  // the wall-time budget
  conf::PreprocessOptions read_options = preprocessOptions(options);
  read_options.clock = &clock;
  auto config = conf::readConfig(options.config_file, read_options, diags, &index);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().str());
    if (config.error().code == base::ErrorCode::NotFound && !options.all_config) {
      fmt::print(stderr, "Config files missing\n");
      return kConfigCheckOk;
    }
    return kConfigCheckCannotRun;
  }
  const bool missing_interface = checkInterfaces(*config, options.config_file, index, diags);
  checkScriptsExist(*config, options.config_file, index, diags);
  const bool insecure = scriptsRunAsRootInsecurely(*config, options.config_file, index, diags);
  fmt::print(stderr, "{}", diags.renderAll());
  if (options.dump_config) fmt::print("{}\n", ctl::dumpJson(ctl::toJson(*config), 2));
  const int verdict = configTestVerdict(diags, options.all_config, missing_interface, insecure);
  if (!options.diff || diags.errors() > 0) return verdict;
  const int printed = options.diff->empty() ? askRunningKeeld(options, *config)
                                            : diffFiles(options, *options.diff, *config);
  return printed != kConfigCheckOk ? printed : verdict;
}

int configTestVerdict(const conf::Diagnostics& diags, bool all_config, bool missing_interface,
                      bool insecure) {
  if (all_config && std::any_of(diags.all().begin(), diags.all().end(), [](const auto& d) {
        return d.message.find("matched no file") != std::string::npos;
      })) {
    return kConfigCheckCannotRun;
  }
  // keepalived 2.2.7 stops at a missing interface before it judges script security.
  if (missing_interface) {
    fmt::print(stderr, "Non-existent interface specified in configuration\n");
    return kConfigCheckErrors;
  }
  if (insecure) {
    fmt::print(
        stderr,
        "SECURITY VIOLATION - scripts are being executed but script_security not enabled.\n");
  }
  // A configuration error outranks the script-security verdict: 6 means "valid but for script
  // security" (issue 17 "Diagnostics").
  if (diags.errors() > 0) return kConfigCheckErrors;
  return insecure ? kConfigCheckScriptSecurity : kConfigCheckOk;
}

}  // namespace keel::app
