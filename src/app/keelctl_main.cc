// keelctl: keel's control tool. It asks the keeld of this host (or network namespace) over its
// control socket, RUNTIME_DIR/keel.sock, found by the same rule keeld uses (runtime_dir.h), and
// prints keeld's answer: ipvsadm's layout for -Ln, text for the rest, JSON with --json.
// `genhash` runs here, without keeld.
// docs/keelctl.md.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/control_client.h"
#include "app/exit_codes.h"
#include "app/keeld_options.h"
#include "app/runtime_dir.h"
#include "app/version.h"
#include "check/genhash.h"

namespace {

using keel::app::kExitFatal;
using keel::app::kExitOk;
using nlohmann::ordered_json;

constexpr auto kTimeout = std::chrono::seconds(30);
// A reload waits for keeld to read the file off its loop, bounded by the server's
// deferred_timeout (ctl/stream_server.h) and its parse budgets (conf/budget.h).
constexpr auto kReloadTimeout = std::chrono::seconds(150);

struct Args {
  bool list = false;
  bool numeric = false;
  bool connections = false;
  bool stats = false;
  bool rate = false;
  bool json = false;
  std::string runtime_dir;
  std::string instance;
  std::string socket;
  std::string service;
  std::string client;
  bool udp = false;
  std::string check;  // reload --check FILE
};

// `keelctl genhash -s SERVER -p PORT -u URL [...]`: keeld --genhash's flags.
int genhash(int argc, char** argv) {
  std::vector<const char*> args(argv, argv + argc);
  auto options = keel::app::parseGenhashArgs(std::span<const char* const>(args));
  if (!options) {
    fmt::print(stderr, "keelctl: {}\n", options.error().message);
    return kExitFatal;
  }
  auto hash = keel::check::genhash(*options);
  if (!hash) {
    fmt::print(stderr, "keelctl: genhash: {}\n", hash.error().str());
    return kExitFatal;
  }
  fmt::print("MD5SUM = {}\n", hash->digest);
  return kExitOk;
}

std::string socketPath(const Args& a) {
  if (!a.socket.empty()) return a.socket;
  keel::app::RuntimeDirRequest r;
  if (!a.runtime_dir.empty()) r.base = a.runtime_dir;
  if (!a.instance.empty()) r.instance = a.instance;
  auto dir = keel::app::runtimeDir(r);
  if (!dir) {
    fmt::print(stderr, "keelctl: no runtime directory: {}\n", dir.error().message);
    return "";
  }
  return *dir + "/keel.sock";
}

ordered_json requestOf(const Args& a, const std::string& command) {
  if (command == "vrrp") return {{"cmd", "vrrp"}, {"stats", a.stats}};
  if (command == "whereis") {
    return {{"cmd", "whereis"},
            {"service", a.service},
            {"client", a.client},
            {"protocol", a.udp ? "udp" : "tcp"}};
  }
  if (command == "reload" && !a.check.empty()) {
    std::error_code ec;
    auto file = std::filesystem::absolute(a.check, ec);
    return {{"cmd", "reload"}, {"check", ec ? a.check : file.lexically_normal().string()}};
  }
  if (!command.empty()) return {{"cmd", command}};
  if (a.connections) return {{"cmd", "connections"}};
  return {{"cmd", "list"}, {"stats", a.stats}, {"rate", a.rate}};
}

int run(const Args& a, const std::string& command) {
  const std::string path = socketPath(a);
  if (path.empty()) return kExitFatal;
  auto response = keel::app::controlRequest(path, requestOf(a, command),
                                            command == "reload" ? kReloadTimeout : kTimeout);
  if (!response) {
    fmt::print(stderr, "keelctl: {}\n", response.error().message);
    return kExitFatal;
  }
  const auto ok = response->find("ok");
  if (ok == response->end() || !ok->is_boolean() || !ok->get<bool>()) {
    const auto err = response->find("error");
    fmt::print(stderr, "keelctl: {}\n",
               err != response->end() && err->is_string() ? err->get<std::string>()
                                                          : "keeld answered without \"ok\"");
    return kExitFatal;
  }
  const auto text = response->find("text");
  if (a.json || command == "dump") {
    response->erase("text");
    fmt::print("{}\n", response->dump(2, ' ', false, ordered_json::error_handler_t::replace));
  } else if (text != response->end() && text->is_string()) {
    fmt::print("{}", text->get<std::string>());
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  using keel::app::kVersion;
  if (argc > 1 && std::string_view(argv[1]) == "genhash") return genhash(argc, argv);
  CLI::App app{"keelctl: look into and steer a running keeld"};
  app.set_version_flag("-v,--version", fmt::format("keelctl (keel) v{}", kVersion));
  Args a;
  app.add_flag("-L,-l,--list", a.list, "List the virtual-server table (ipvsadm -Ln)");
  app.add_flag("-n,--numeric", a.numeric, "Numeric addresses and ports (always)");
  app.add_flag("-c,--connection", a.connections, "With -L: the connection table");
  app.add_flag("--stats", a.stats, "With -L: counters; with vrrp: adverts and drops");
  app.add_flag("--rate", a.rate, "With -L: rates per second");
  app.add_flag("--json", a.json, "Print keeld's JSON instead of text");
  app.add_option("--runtime-dir", a.runtime_dir, "keeld's --runtime-dir");
  app.add_option("--instance", a.instance, "keeld's --instance (default: the named netns)");
  app.add_option("--socket", a.socket, "The control socket (default: RUNTIME_DIR/keel.sock)");
  app.fallthrough();
  app.add_subcommand("vrrp", "VRRP instances: state, priority, master (--stats: counters)");
  app.add_subcommand("checks", "Health checks of every real server");
  auto* whereis = app.add_subcommand("whereis", "Which real server a new flow would reach");
  whereis->add_option("service", a.service, "VIP:PORT ([V6]:PORT)")->required();
  whereis->add_option("client", a.client, "CLIENT_IP or CLIENT_IP:PORT")->required();
  whereis->add_flag("--udp", a.udp, "The UDP service at VIP:PORT");
  auto* reload = app.add_subcommand(
      "reload", "Reload keeld's configuration as SIGHUP does, and say how it went");
  reload->add_option("--check", a.check,
                     "Print the plan a reload to FILE would apply (instances kept, updated, "
                     "restarted, added, removed; services and reals added, changed, removed), "
                     "applying nothing");
  app.add_subcommand("dump", "Everything keeld knows, as JSON");
  app.add_subcommand("genhash", "keeld --genhash: MD5 of a URL's body for HTTP_GET digest");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  std::string command;
  if (!app.get_subcommands().empty()) command = app.get_subcommands().front()->get_name();
  if (command.empty() && !a.list) {
    fmt::print(stderr, "{}", app.help());
    return kExitFatal;
  }
  return run(a, command);
}
