// Where the XDP program must run and what the BPF ABI's keel_config says about this director:
// the interfaces that carry the VIPs of a table (chosen from the configuration's VRRP instances,
// the subnets and the routes netlink reports) and the tunnel source addresses on them. Used by
// XdpDataplane on the control-plane thread; the Rtnetlink it is given is read, never changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/xdp/bpf/keel_abi.h"
#include "lb/service_table.h"
#include "model/config.h"
#include "net/rtnetlink.h"

namespace keel::dataplane::xdp {

// An interface to attach to and why it was chosen.
struct VipInterface {
  int index = 0;
  std::string name;
  std::string reason;  // "VRRP instance VI_1 holds 198.18.0.100", "subnet 198.18.0.0/24", ...
  std::vector<std::uint8_t> mac;  // its own MAC (6 bytes on Ethernet)
};

// The interfaces that carry the VIPs of `table`'s services: the interface of the VRRP instance
// whose virtual_ipaddress holds the VIP, else the interface with a subnet containing it, else the
// route to it. A VIP none of them finds is logged and skipped.
std::vector<VipInterface> vipInterfaces(const model::Config& config, const lb::ServiceTable& table,
                                        net::Rtnetlink& nl);

// keel_config (defaultConfig()) with the tunnel sources: the first global address of each family
// on `interfaces` that is not itself a VIP of `table` (a TUN packet's outer source is the
// director).
keel_config tunnelConfig(const std::vector<VipInterface>& interfaces, const lb::ServiceTable& table,
                         net::Rtnetlink& nl);

}  // namespace keel::dataplane::xdp
