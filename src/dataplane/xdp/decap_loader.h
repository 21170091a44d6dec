// The loader of keel_decap.bpf.c, the decapsulator a real server of a TUN service attaches when its
// kernel has no ipip/ip6tnl/fou (docs/dataplane.md): `keel-decap attach IFACE --director ADDR`
// (src/app/keel_decap_main.cc, keel-decap(8)).
//
// It loads the program, writes the GUE port into its read-only data, fills keel_decap_directors
// (the outer sources a tunnel may come from) and keel_decap_locals (the outer destinations: this
// host's addresses, unless given), and attaches it to the interface. It replaces only its own
// program (an older keel_decap, atomically): an interface running another XDP program is left
// alone. The attachment outlives the process, as `ip link set dev IFACE xdp obj` does; `detach`
// removes it. Addresses added to the host later are not in the map: attach again. Any thread; it
// touches no keeld state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/error.h"

namespace keel::dataplane::xdp {

// The decapsulator's program name, as the kernel reports it (`ip -d link`, bpftool).
inline constexpr std::string_view kDecapProgram = "keel_decap";

enum class DecapMode {
  Auto,     // native XDP when the driver has it, else generic
  Native,   // the driver's XDP only
  Generic,  // generic (SKB) XDP only
};

struct DecapOptions {
  std::string interface;
  std::vector<base::IpAddress> directors;  // required: the directors' tunnel source addresses
  std::vector<base::IpAddress> locals;     // empty: every address of this host now
  std::uint16_t gue_port = 0;              // 0: KEEL_GUE_PORT_DEFAULT (6080)
  DecapMode mode = DecapMode::Auto;        // Auto over an attached keel_decap keeps its mode
};

// What runs on an interface's XDP hook.
struct XdpHook {
  std::string program;   // the attached program's name; empty: none
  bool generic = false;  // attached in generic (SKB) mode, else native (or offloaded)
};

// Returns the hook as attached. Errors: InvalidArgument (no director; more directors or local
// addresses than the maps hold), NotFound (no such interface), State (another XDP program runs
// there: it is left alone), System (load, map update, attach).
base::Result<XdpHook> attachDecap(const DecapOptions& options);
// Removes keel_decap; false when no XDP program was attached. Errors: NotFound (no such
// interface), State (another XDP program runs there: it is left alone), System.
base::Result<bool> detachDecap(const std::string& interface);
// Errors: NotFound (no such interface), State (programs in several modes), System.
base::Result<XdpHook> xdpHook(const std::string& interface);

// This host's addresses (getifaddrs), loopback and link-local ones included. Errors: System.
base::Result<std::vector<base::IpAddress>> hostAddresses();

// The IPv4 reverse-path filter the kernel applies on `interface`: the larger of
// net.ipv4.conf.all.rp_filter and net.ipv4.conf.IFACE.rp_filter; an unreadable value counts 0.
int effectiveRpFilter(const std::string& interface);

}  // namespace keel::dataplane::xdp
