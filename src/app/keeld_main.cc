// keeld: keel's daemon. Parses keepalived's command line and hands over to the daemon.
#include <cstdio>
#include <span>

#include <fmt/format.h>

#include "app/config_check.h"
#include "app/daemon.h"
#include "app/exit_codes.h"
#include "app/keeld_options.h"
#include "app/version.h"
#include "check/genhash.h"
#include "conf/keyword_table.h"

int main(int argc, char** argv) {
  using namespace keel::app;  // NOLINT(google-build-using-namespace): main of the app module
  auto options = parseKeeldArgs(std::span<const char* const>(argv, static_cast<std::size_t>(argc)));
  if (!options) {
    fmt::print(stderr, "keeld: {}\n", options.error().message);
    return kExitFatal;
  }
  if (options->genhash) {
    auto hash = keel::check::genhash(*options->genhash);
    if (!hash) {
      fmt::print(stderr, "keeld: genhash: {}\n", hash.error().str());
      return kExitFatal;
    }
    fmt::print("MD5SUM = {}\n", hash->digest);
    return kExitOk;
  }
  if (options->help) {
    fmt::print("{}", keeldHelp());
    return kExitOk;
  }
  if (options->version) {
    fmt::print(
        "keeld (keel) v{}\nkeepalived.conf and command line compatible with keepalived "
        "2.2.7\nLicensed under the Apache License, Version 2.0\n",
        kVersion);
    return kExitOk;
  }
  if (options->signum) {
    auto n = signalNumberFor(*options->signum);
    if (!n) {
      fmt::print(stderr, "keeld: {}\n", n.error().message);
      return kExitFatal;
    }
    fmt::print("{}\n", *n);
    return kExitOk;
  }
  if (options->keywords) {
    fmt::print("{}", keel::conf::compatibilityMarkdown());
    return kExitOk;
  }
  if (options->config_test || options->dump_config) return runConfigCheck(*options);
  setUpLogging(*options);
  return runDaemon(*options);
}
