// What the engines read from and ask of the kernel's routing netlink, as values and one
// interface: links (index, state, MAC), addresses, neighbours, routes and their change events;
// `Netlink` is the part the VRRP engine uses (docs/design.md §2: one OS seam, faked in tests).
// `Rtnetlink` (rtnetlink.h) implements it over libmnl; `FakeNet` (fake_net.h) in memory.
// Values: any thread. A Netlink belongs to the thread that opened it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"

namespace keel::net {

struct Link {
  int index = 0;
  std::string name;
  bool up = false;        // IFF_UP: administratively up
  bool running = false;   // IFF_RUNNING: carrier and operationally up
  bool loopback = false;  // IFF_LOOPBACK
  std::vector<std::uint8_t> mac;
};

struct AddressEntry {
  int index = 0;  // interface
  base::Prefix prefix;
  std::string label;
};

// A neighbour table entry (ARP for IPv4, ND for IPv6).
struct Neighbour {
  int index = 0;  // interface
  base::IpAddress address;
  std::vector<std::uint8_t> mac;  // empty while unresolved or failed
  std::uint16_t state = 0;        // NUD_* bits

  // Whether frames may be sent to `mac` now: resolved (REACHABLE, STALE, DELAY, PROBE, PERMANENT
  // or NOARP) and a MAC known. STALE counts: the kernel re-confirms it on use.
  bool usable() const;
};

// Where the kernel would send a packet for an address (RTM_GETROUTE, what `ip route get` asks).
struct RouteHop {
  int index = 0;                           // output interface
  std::optional<base::IpAddress> gateway;  // unset: the address is on-link
  bool local = false;                      // the address is one of this host's own (RTN_LOCAL)

  // The address whose MAC the frame needs: the gateway, or `to` itself when on-link.
  const base::IpAddress& nextHop(const base::IpAddress& to) const {
    return gateway ? *gateway : to;
  }
};

// A link, address or neighbour event, as RTMGRP_LINK / RTMGRP_IPV4_IFADDR / RTMGRP_IPV6_IFADDR /
// RTMGRP_NEIGH deliver it.
struct NetEvent {
  enum class Kind {
    LinkChanged,
    LinkRemoved,
    AddressAdded,
    AddressRemoved,
    NeighbourChanged,
    NeighbourRemoved
  };
  Kind kind = Kind::LinkChanged;
  Link link;             // for link events
  AddressEntry address;  // for address events
  Neighbour neighbour;   // for neighbour events
};

using NetEventSink = std::function<void(const NetEvent&)>;

// Links, addresses and their events: what a VRRP instance needs to find its interface and
// source address, put its virtual addresses on and off, and follow the interface's life.
class Netlink {
 public:
  virtual ~Netlink() = default;

  virtual base::Result<std::vector<Link>> links() = 0;
  virtual base::Result<std::vector<AddressEntry>> addresses(int family) = 0;  // AF_INET(6) or 0

  // Adds `prefix` to the interface (IPv6 without duplicate address detection, so a VIP is usable
  // at once). Adding an address that is already there succeeds (reported through `existed`).
  virtual base::Status addAddress(int index, const base::Prefix& prefix, const std::string& label,
                                  bool* existed) = 0;
  // Removes it; removing an absent address succeeds (reported through `absent`).
  virtual base::Status deleteAddress(int index, const base::Prefix& prefix, bool* absent) = 0;

  // The event socket (-1 without events): watch it for EPOLLIN and call readEvents().
  virtual int eventFd() const = 0;
  // Reads every pending event without blocking. Lost events (a kernel buffer overrun) come back
  // as a System error with sys_errno ENOBUFS: the caller must re-read links() and addresses().
  virtual base::Status readEvents(const NetEventSink& sink) = 0;

  // The link called `name`: NotFound when there is none.
  base::Result<Link> link(const std::string& name);
  base::Status addAddress(int index, const base::Prefix& prefix) {
    return addAddress(index, prefix, {}, nullptr);
  }
  base::Status deleteAddress(int index, const base::Prefix& prefix) {
    return deleteAddress(index, prefix, nullptr);
  }
};

}  // namespace keel::net
