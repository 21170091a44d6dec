// keelctl: keel's control tool. It will talk to keeld over its control socket; until that
// socket exists every command reports that it is not implemented yet.
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/exit_codes.h"
#include "app/version.h"

int main(int argc, char** argv) {
  using keel::app::kVersion;
  CLI::App app{"keelctl: look into and steer a running keeld"};
  app.set_version_flag("-v,--version", fmt::format("keelctl (keel) v{}", kVersion));
  bool list = false;
  bool numeric = false;
  app.add_flag("-L,--list", list, "List the virtual-server table (not implemented yet)");
  app.add_flag("-n,--numeric", numeric, "Numeric addresses and ports");
  bool json = false;
  app.add_flag("--json", json, "Print JSON instead of text");
  for (const char* name : {"vrrp", "checks", "whereis", "reload", "dump"}) {
    app.add_subcommand(name, fmt::format("{} (not implemented yet)", name))->allow_extras();
  }
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  std::string what = list ? "-L" : "";
  if (!app.get_subcommands().empty()) what = app.get_subcommands().front()->get_name();
  if (what.empty()) {
    fmt::print(stderr, "{}", app.help());
    return keel::app::kExitFatal;
  }
  fmt::print(stderr,
             "keelctl: {} is not implemented by keel yet (it needs keeld's control socket)\n",
             what);
  return keel::app::kExitFatal;
}
