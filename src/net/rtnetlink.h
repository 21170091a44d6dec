// rtnetlink over libmnl: interfaces (index, state, addresses), the address changes VRRP makes
// for its virtual IPs, and the neighbour and route lookups a data plane needs to reach a real
// server (its egress interface and MAC). Requests are synchronous (send, then read the kernel's
// answer, at most `request_timeout` long: a request that gets no answer in time is an error,
// never a stall) on a socket of their own; link and address events come on a second socket that
// the owner watches in its event loop and drains with readEvents(). Both sockets are
// close-on-exec. One Rtnetlink per network namespace, created in it. Not thread-safe: the thread
// that opened it owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/clock.h"
#include "base/error.h"
#include "net/netlink.h"

struct mnl_socket;

namespace keel::net {

class Rtnetlink final : public Netlink {
 public:
  // The kernel answers a request while it is being sent (dumps while they are read), so an
  // answer that has not come in this long never will (someone else read it).
  static constexpr base::Duration kRequestTimeout = std::chrono::milliseconds(500);

  // Opens the request socket and, with `events`, the event socket subscribed to link and
  // address groups (and, with `neighbour_events`, the neighbour group). Errors: System.
  static base::Result<Rtnetlink> open(bool events, bool neighbour_events = false,
                                      base::Duration request_timeout = kRequestTimeout);

  Rtnetlink(Rtnetlink&& other) noexcept;
  Rtnetlink& operator=(Rtnetlink&& other) noexcept;
  Rtnetlink(const Rtnetlink&) = delete;
  Rtnetlink& operator=(const Rtnetlink&) = delete;
  ~Rtnetlink() override;

  using Netlink::addAddress;
  using Netlink::deleteAddress;

  base::Result<std::vector<Link>> links() override;
  base::Result<std::vector<AddressEntry>> addresses(int family) override;
  base::Status addAddress(int index, const base::Prefix& prefix, const std::string& label,
                          bool* existed) override;
  base::Status deleteAddress(int index, const base::Prefix& prefix, bool* absent) override;
  int eventFd() const override;
  base::Status readEvents(const NetEventSink& sink) override;

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

  // The request socket, for tests of the request path (a reader that steals the answer).
  int requestFd() const;

 private:
  Rtnetlink(mnl_socket* requests, mnl_socket* events) : requests_(requests), events_(events) {}
  base::Status request(std::vector<char>& buf, const std::function<int(const void*)>& each);
  std::uint32_t nextSeq() { return seq_++; }
  void close();

  mnl_socket* requests_ = nullptr;
  mnl_socket* events_ = nullptr;
  std::uint32_t seq_ = 1;
};

}  // namespace keel::net
