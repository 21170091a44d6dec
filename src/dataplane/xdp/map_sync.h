// MapSync: the XDP maps kept in step with the desired table, and read back for the views.
// apply() plans the map contents for a table (MapPlanner), writes the difference from what the
// maps hold in contract order (bpf/keel_abi.h), and keeps the table so that refresh() can write it
// again when a real's next hop changes (a neighbour resolved or changed its MAC). Loading and
// attaching the program is XdpProgram's job (xdp_program.h); this class only needs the maps (a
// recording fake in tests). Owned by XdpDataplane; control-plane thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/bpf_map_io.h"
#include "dataplane/xdp/map_plan.h"

namespace keel::dataplane::xdp {

// The egress of a real (EgressResolver::lookup in production); nullopt with the reason in `why`.
using EgressLookup = std::function<std::optional<Egress>(const lb::Real& real, std::string* why)>;

class MapSync {
 public:
  // REQUIRES: `maps` outlives this object. `config` is the keel_config to keep (apply() adds
  // the NAT flag when a real uses NAT).
  MapSync(MapIo& maps, EgressLookup egress, const keel_config& config = defaultConfig());

  // Writes what changed. Services and reals XDP cannot carry (fwmark, SCTP, unreachable reals)
  // are left out with a warning logged once per reason. On a failed write the maps are left
  // part-way and the next apply() rewrites every entry either table names.
  base::Status apply(std::shared_ptr<const lb::ServiceTable> table);

  // Applies the last table again (its reals' next hops may have changed).
  base::Result<void> refresh();

  // The keel_config to keep from the next apply()/refresh() on (e.g. new tunnel sources).
  void setConfig(const keel_config& config) { planner_.setBaseConfig(config); }

  // Per service and per real counters of the services in the maps (no active/inactive split).
  base::Result<std::vector<ServiceStats>> stats() const;
  // Named drop/pass/event counters (counterNames() order).
  base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const;
  // keel_conns entries whose real the current table holds. The LRU table keeps no TCP state or
  // expiry: state is "NONE" (TCP) or "UDP", expires 0.
  base::Result<std::vector<Connection>> connections(std::size_t limit) const;

  // What the last apply() left out, as "what: why" lines.
  const std::set<std::string>& skipped() const { return skipped_; }

 private:
  base::Result<void> write(const MapContent& next);

  MapIo& maps_;
  EgressLookup egress_;
  MapPlanner planner_;
  // What the maps hold; at first an all-zero config (so the first apply writes it); after a
  // failed write, entries marked to be rewritten.
  MapContent held_;  // what the maps hold (after a failure: entries marked to be rewritten)
  std::shared_ptr<const lb::ServiceTable> table_;
  std::set<std::string> skipped_;
};

}  // namespace keel::dataplane::xdp
