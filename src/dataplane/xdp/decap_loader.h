// The loader of keel_decap.bpf.c, the decapsulator a real server of a TUN service attaches when its
// kernel has no ipip/ip6tnl/fou (docs/dataplane.md): `keelctl decap attach IFACE --director ADDR`.
//
// It loads the program, writes the GUE port into its read-only data, fills keel_decap_directors
// (the outer sources a tunnel may come from) and keel_decap_locals (the outer destinations: this
// host's addresses, unless given), and attaches it to the interface (native XDP, else generic),
// replacing any XDP program there. The attachment outlives the process, as `ip link set dev IFACE
// xdp obj` does; `detach` removes it. Addresses added to the host later are not in the map:
// attach again. Any thread; it touches no keeld state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"

namespace keel::dataplane::xdp {

struct DecapOptions {
  std::string interface;
  std::vector<base::IpAddress> directors;  // required: the directors' tunnel source addresses
  std::vector<base::IpAddress> locals;     // empty: every address of this host now
  std::uint16_t gue_port = 0;              // 0: KEEL_GUE_PORT_DEFAULT (6080)
};

// Errors: InvalidArgument (no director; more directors or local addresses than the maps hold),
// NotFound (no such interface), System (load, map update, attach).
base::Status attachDecap(const DecapOptions& options);
// Errors: NotFound (no such interface), System.
base::Status detachDecap(const std::string& interface);

// This host's addresses (getifaddrs), loopback and link-local ones included. Errors: System.
base::Result<std::vector<base::IpAddress>> hostAddresses();

}  // namespace keel::dataplane::xdp
