// keel-decap: attaches keel's XDP decapsulator (src/dataplane/xdp/bpf/keel_decap.bpf.c, built in)
// to an interface of a real server behind a TUN service whose kernel has no ipip/ip6_tunnel/fou
// modules (docs/dataplane.md, keel-decap(8)); the keel-decap@IFACE unit runs it at boot with the
// directors from /etc/default/keel-decap. It replaces only its own program, warns when rp_filter
// would drop what it opens, and needs neither keeld nor the keel package (dataplane/xdp/
// decap_loader.h does the work).
//
// Exit status: 0 done (status: attached), 1 failure, 2 usage error, 3 status: not attached.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/version.h"
#include "base/address.h"
#include "dataplane/xdp/decap_loader.h"

namespace {

namespace xdp = keel::dataplane::xdp;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotAttached = 3;

struct Args {
  std::string interface;
  std::vector<std::string> directors;
  std::vector<std::string> locals;
  std::uint16_t gue_port = 0;
  std::string mode = "auto";
};

int fail(const keel::base::Error& e) {
  fmt::print(stderr, "keel-decap: {}\n", e.str());
  return kExitFailed;
}

keel::base::Result<std::vector<keel::base::IpAddress>> parseAddresses(
    const std::vector<std::string>& texts) {
  std::vector<keel::base::IpAddress> out;
  for (const std::string& t : texts) {
    auto a = keel::base::IpAddress::parse(t);
    if (!a) return a.error();
    out.push_back(*a);
  }
  return out;
}

keel::base::Result<xdp::DecapOptions> optionsOf(const Args& a) {
  xdp::DecapOptions o;
  o.interface = a.interface;
  auto directors = parseAddresses(a.directors);
  if (!directors) return directors.error();
  o.directors = std::move(*directors);
  auto locals = parseAddresses(a.locals);
  if (!locals) return locals.error();
  o.locals = std::move(*locals);
  o.gue_port = a.gue_port;
  o.mode = a.mode == "native"    ? xdp::DecapMode::Native
           : a.mode == "generic" ? xdp::DecapMode::Generic
                                 : xdp::DecapMode::Auto;
  return o;
}

int attach(const Args& a) {
  auto options = optionsOf(a);
  if (!options) return fail(options.error());
  auto hook = xdp::attachDecap(*options);
  if (!hook) return fail(hook.error());
  fmt::print("keel-decap: {} attached to {} ({} XDP)\n", xdp::kDecapProgram, a.interface,
             hook->generic ? "generic" : "native");
  if (xdp::effectiveRpFilter(a.interface) != 0) {
    fmt::print(stderr,
               "keel-decap: warning: rp_filter is on for {0}; decapsulated packets from clients "
               "will be dropped (sysctl net.ipv4.conf.all.rp_filter=0 "
               "net.ipv4.conf.{0}.rp_filter=0)\n",
               a.interface);
  }
  return kExitOk;
}

int detach(const Args& a) {
  auto removed = xdp::detachDecap(a.interface);
  if (!removed) return fail(removed.error());
  if (*removed) {
    fmt::print("keel-decap: {} detached from {}\n", xdp::kDecapProgram, a.interface);
  } else {
    fmt::print("keel-decap: no XDP program on {}\n", a.interface);
  }
  return kExitOk;
}

int status(const Args& a) {
  auto hook = xdp::xdpHook(a.interface);
  if (!hook) return fail(hook.error());
  if (hook->program == xdp::kDecapProgram) {
    fmt::print("keel-decap: {} is attached to {} ({} XDP)\n", xdp::kDecapProgram, a.interface,
               hook->generic ? "generic" : "native");
    return kExitOk;
  }
  fmt::print("keel-decap: {} is not attached to {}{}\n", xdp::kDecapProgram, a.interface,
             hook->program.empty() ? "" : fmt::format(" ({} is)", hook->program));
  return kExitNotAttached;
}

void addAttach(CLI::App& app, Args& a) {
  auto* attach = app.add_subcommand(
      "attach", "Load the decapsulator and attach it to IFACE (replacing only keel_decap)");
  attach->add_option("interface", a.interface, "The interface tunnels arrive on")->required();
  attach
      ->add_option("--director", a.directors,
                   "The directors' tunnel source addresses (required; one or more)")
      ->required();
  attach->add_option("--local", a.locals,
                     "Outer destinations to accept (default: every address of this host now)");
  attach->add_option("--gue-port", a.gue_port, "GUE's UDP port (default 6080)")
      ->check(CLI::Range(1, 65535));
  attach->add_option("--mode", a.mode, "auto (default), native or generic XDP")
      ->check(CLI::IsMember({"auto", "native", "generic"}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"keel-decap: keel's XDP decapsulator for a real server of TUN services"};
  app.set_version_flag("-v,--version", fmt::format("keel-decap (keel) v{}", keel::app::kVersion));
  Args a;
  addAttach(app, a);
  app.add_subcommand("detach", "Remove the decapsulator from IFACE (never another program)")
      ->add_option("interface", a.interface, "The interface")
      ->required();
  app.add_subcommand("status", "Exit 0 when the decapsulator is attached to IFACE, 3 when not")
      ->add_option("interface", a.interface, "The interface")
      ->required();
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  const std::string command = app.get_subcommands().front()->get_name();
  if (command == "attach") return attach(a);
  if (command == "detach") return detach(a);
  return status(a);
}
