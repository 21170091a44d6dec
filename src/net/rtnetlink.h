// rtnetlink over libmnl: interfaces (index, state, addresses), the address changes VRRP makes
// for its virtual IPs, and the neighbour and route lookups a data plane needs to reach a real
// server (its egress interface and MAC). Requests are synchronous (send, then read the kernel's
// ack) on a socket of their own; link and address events come on a second socket that the owner
// watches in its event loop and drains with readEvents(). One Rtnetlink per network namespace,
// created in it. Not thread-safe: the control-plane thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"

struct mnl_socket;

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

class Rtnetlink {
 public:
  // Opens the request socket and, with `events`, the event socket subscribed to link and
  // address groups (and, with `neighbour_events`, the neighbour group). Errors: System.
  static base::Result<Rtnetlink> open(bool events, bool neighbour_events = false);

  Rtnetlink(Rtnetlink&& other) noexcept;
  Rtnetlink& operator=(Rtnetlink&& other) noexcept;
  Rtnetlink(const Rtnetlink&) = delete;
  Rtnetlink& operator=(const Rtnetlink&) = delete;
  ~Rtnetlink();

  base::Result<std::vector<Link>> links();
  base::Result<Link> link(const std::string& name);  // NotFound when there is no such link
  base::Result<std::vector<AddressEntry>> addresses(int family);  // AF_INET, AF_INET6 or 0

  // Adds `prefix` to the interface (IFA_F_NODAD for IPv6 so a VIP is usable at once). Adding an
  // address that is already there succeeds (reported through `existed`).
  base::Status addAddress(int index, const base::Prefix& prefix, const std::string& label = {},
                          bool* existed = nullptr);
  // Removes it; removing an absent address succeeds (reported through `absent`).
  base::Status deleteAddress(int index, const base::Prefix& prefix, bool* absent = nullptr);

  // Sets the interface administratively up or down (what `ip link set IF up|down` does).
  base::Status setLinkUp(int index, bool up);

  // The neighbour table of `family` (AF_INET, AF_INET6 or 0 for both).
  base::Result<std::vector<Neighbour>> neighbours(int family);

  // The route the kernel picks for `to` (RTM_GETROUTE). NotFound when there is none
  // (unreachable); other errors: System.
  base::Result<RouteHop> route(const base::IpAddress& to);

  // Asks the kernel to resolve `address` on interface `index` without sending any traffic of
  // ours: an RTM_NEWNEIGH with NTF_USE creates the entry if needed and starts ARP/ND for it, as
  // a first packet to it would. The answer arrives later as a NeighbourChanged event (or in
  // neighbours()). Errors: System.
  base::Status resolveNeighbour(int index, const base::IpAddress& address);

  // The event socket (-1 without events): watch it for EPOLLIN and call readEvents().
  int eventFd() const;
  // Reads every pending event without blocking. A kernel buffer overrun comes back as a System
  // error with sys_errno ENOBUFS: the caller must re-read the state with links()/addresses().
  base::Status readEvents(const std::function<void(const NetEvent&)>& sink);

 private:
  Rtnetlink(mnl_socket* requests, mnl_socket* events) : requests_(requests), events_(events) {}
  base::Status request(std::vector<char>& buf, const std::function<int(const void*)>& each);
  std::uint32_t nextSeq() { return seq_++; }

  mnl_socket* requests_ = nullptr;
  mnl_socket* events_ = nullptr;
  std::uint32_t seq_ = 1;
};

}  // namespace keel::net
