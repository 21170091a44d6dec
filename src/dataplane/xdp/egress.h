// Where frames for a real server leave the director (dataplane/xdp/map_plan.h Egress): the route
// to the real (RTM_GETROUTE), our MAC on the egress interface, and the next hop's MAC from the
// neighbour table, resolution started on demand (NTF_USE) and kept fresh from netlink events.
// Owned by XdpDataplane on the control-plane thread; the Rtnetlink it uses must outlive it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "dataplane/xdp/map_plan.h"
#include "lb/service_table.h"
#include "net/rtnetlink.h"

namespace keel::dataplane::xdp {

class EgressResolver {
 public:
  explicit EgressResolver(net::Rtnetlink& nl) : nl_(nl) {}

  // The egress for `real`; nullopt while it cannot be used, with the reason in `*why`: no route,
  // the address is our own, a DR real behind a gateway (DR needs the real on-link), or the next
  // hop not resolved yet (resolution is started, and onEvent() reports when it completes).
  std::optional<Egress> lookup(const lb::Real& real, std::string* why = nullptr);

  // A netlink event (link and neighbour events; the Rtnetlink must be opened with
  // neighbour_events). True when it changes what lookup() would answer for a next hop or
  // interface used so far: the table should be applied again.
  bool onEvent(const net::NetEvent& event);

  // Forgets the caches (after lost events); the next lookup() reads the kernel again.
  void reset();

 private:
  using HopKey = std::pair<int, base::IpAddress>;  // interface, next hop
  std::optional<std::array<std::uint8_t, 6>> linkMac(int index);
  std::optional<std::array<std::uint8_t, 6>> neighbourMac(const HopKey& hop);

  net::Rtnetlink& nl_;
  std::map<int, std::array<std::uint8_t, 6>> link_macs_;
  std::map<HopKey, std::array<std::uint8_t, 6>> neighbours_;  // usable entries only
  std::set<HopKey> watched_;                                  // next hops lookup() used
  std::set<int> dumped_families_;  // neighbour tables read since the last reset
};

}  // namespace keel::dataplane::xdp
