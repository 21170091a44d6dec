// The seam between the control plane and whatever forwards packets (docs/design.md §4): XDP, the
// kernel's IPVS, the userspace proxy, a recording fake in tests. app makes one through its factory
// (app/dataplane_factory.h) and talks to it only through this interface: the whole desired
// lb::ServiceTable on every change (the backend makes its own state match it by identity), the
// configuration on reload, and the views keelctl, the metrics and keel.stats read. Each backend
// owns what it needs besides (programs, maps, interfaces, netlink, worker threads). Called on the
// control-plane thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "lb/service_table.h"
#include "model/config.h"

namespace keel::dataplane {

// Traffic counters, the same for every backend so that `keelctl -Ln --stats` and the metrics do
// not care which data plane runs. "in" is client to real server, "out" the replies (DR and TUN
// replies bypass the director: their out counters stay 0, as in IPVS).
struct Counters {
  std::uint64_t conns = 0;  // connections scheduled since start
  std::uint64_t in_packets = 0;
  std::uint64_t in_bytes = 0;
  std::uint64_t out_packets = 0;
  std::uint64_t out_bytes = 0;
  friend bool operator==(const Counters&, const Counters&) = default;
};

struct RealStats {
  lb::RealKey key;
  Counters counters;
  // ipvsadm's ActiveConn / InActConn; nullopt where the backend cannot tell (XDP keeps no TCP
  // state per connection).
  std::optional<std::uint64_t> active_conns;
  std::optional<std::uint64_t> inactive_conns;
};

struct ServiceStats {
  lb::ServiceKey key;
  Counters counters;
  std::vector<RealStats> reals;  // in the table's order
};

// One entry of the connection table (`keelctl -Lnc`, ipvsadm -Lnc).
struct Connection {
  lb::Protocol protocol = lb::Protocol::Tcp;
  base::IpAddress client;
  std::uint16_t client_port = 0;
  lb::ServiceKey service;
  lb::RealKey real;
  std::string state;  // "ESTABLISHED", "SYN_RECV", "UDP", ...
  std::chrono::seconds expires{};
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  // "xdp", "ipvs", "proxy": what keelctl's JSON and the logs call the backend.
  virtual std::string_view name() const = 0;
  // "XDP data plane", "IPVS data plane", "Proxy data plane": the heading of keel.stats.
  virtual std::string_view title() const = 0;

  // Make the data plane forward as `table` says. On error the backend keeps forwarding as
  // before as far as it can, and the next apply() starts again from what it really holds.
  virtual base::Status apply(std::shared_ptr<const lb::ServiceTable> table) = 0;

  // SIGHUP: the configuration of the new generation (which interfaces carry the VIPs, ...). The
  // backend applies its last table again under it; errors are logged.
  virtual void reload(std::shared_ptr<const model::Config> config) = 0;

  // A VRRP instance is MASTER here (`master`) or left MASTER (BACKUP, FAULT). A backend that
  // follows VRRP reacts (IPVS runs the kernel's sync daemon as master or backup for the instance
  // lvs_sync_daemon names); the others ignore it.
  virtual void vrrpState(const std::string& /*instance*/, bool /*master*/) {}

  // Per service and per real counters of the services the backend holds.
  virtual base::Result<std::vector<ServiceStats>> stats() const = 0;

  // Named drop, pass and event counters ("drop_ttl_expired", ...), in a fixed order.
  virtual base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const = 0;

  // Up to `limit` entries of the connection table.
  virtual base::Result<std::vector<Connection>> connections(std::size_t limit) const = 0;
};

// keel.stats (SIGUSR2): the title, per service and per real counters, then the named drop, pass
// and event counters, one "name value" per line.
std::string statsText(const Dataplane& dataplane);

}  // namespace keel::dataplane
