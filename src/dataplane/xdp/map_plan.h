// The content of the XDP maps for a ServiceTable, and the ordered writes that move the maps from
// one content to the next (the update-ordering contract of bpf/keel_abi.h). Pure apart from the
// index allocation it owns: service ids and real indices are stable for an identity across
// applies, and freed ones are reused last (FIFO). Owned by XdpDataplane on the control-plane
// thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "base/error.h"
#include "dataplane/xdp/bpf/keel_abi.h"
#include "dataplane/xdp/ring.h"
#include "lb/service_table.h"

namespace keel::dataplane::xdp {

// Where a real's frames leave: the egress interface, our MAC on it and the next hop's MAC.
struct Egress {
  int ifindex = 0;
  std::array<std::uint8_t, 6> src_mac{};
  std::array<std::uint8_t, 6> dst_mac{};
  friend bool operator==(const Egress&, const Egress&) = default;
};

// Resolves a real of a service; nullopt while it cannot be reached yet (neighbour unresolved,
// no route, or a DR real that is not on-link). Such a real gets no keel_reals entry and no slot.
using EgressFn = std::function<std::optional<Egress>(const lb::ServiceKey&, const lb::Real&)>;

struct ServiceEntry {
  keel_service_key key{};
  keel_service value{};
  std::vector<std::uint32_t> ring;  // KEEL_RING_SIZE keel_reals indices
};

struct MapContent {
  keel_config config{};  // the base configuration, KEEL_CFG_F_NAT set when a real uses NAT
  std::map<lb::ServiceKey, ServiceEntry> services;
  std::map<std::uint32_t, keel_real> reals;  // index -> entry
};

// The writes, each applied on its own (a packet may see the maps between any two).
struct WriteReal {
  std::uint32_t index = 0;
  keel_real real{};
};
struct ClearReal {  // keel_reals[index].family = NONE
  std::uint32_t index = 0;
};
struct WriteSlots {
  std::uint32_t service_id = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> slots;  // (slot, real index)
};
struct WriteService {
  keel_service_key key{};
  keel_service value{};
};
struct DeleteService {
  keel_service_key key{};
};
struct WriteConfig {  // keel_config[0]; written before the reals that depend on it
  keel_config config{};
};
struct ResetStats {   // zero a recycled id's counters before it is used
  bool real = false;  // keel_real_stats, else keel_svc_stats
  std::uint32_t id = 0;
};
using MapWrite = std::variant<WriteConfig, WriteReal, ClearReal, WriteSlots, WriteService,
                              DeleteService, ResetStats>;

std::string describe(const MapWrite& w);

// What a ServiceTable could not express in XDP, for a warning (fwmark and SCTP services, more
// services or reals than the maps hold). Unreachable reals are the EgressFn's to report.
struct Skipped {
  std::string what;
  std::string why;
};

// keel_config as keel starts it: UDP flows idle 300 s are scheduled again (IPVS's UDP timeout),
// GUE on KEEL_GUE_PORT_DEFAULT, no tunnel source.
keel_config defaultConfig();

class MapPlanner {
 public:
  explicit MapPlanner(const keel_config& base = defaultConfig()) : base_(base) {}

  // The keel_config later builds start from (tunnel sources, timeouts).
  void setBaseConfig(const keel_config& base) { base_ = base; }

  // The content for `table`. Allocates ids for new identities.
  MapContent build(const lb::ServiceTable& table, const EgressFn& egress,
                   std::vector<Skipped>* skipped = nullptr);

  // The writes from `from` to `to`, ordered: the configuration if it changed, stats of fresh ids
  // reset, reals written, rings then
  // service entries of changed and new services, then removed services deleted and their rings
  // cleared, then reals no ring names any more cleared.
  std::vector<MapWrite> diff(const MapContent& from, const MapContent& to) const;

  // Frees the ids of identities in neither `held` nor `wanted` (to the back of the FIFO).
  void release(const MapContent& held, const MapContent& wanted);

  // The keel_reals index of a real of a service, if it has one.
  std::optional<std::uint32_t> realIndex(const lb::ServiceKey& service,
                                         const lb::RealKey& real) const;
  std::optional<std::uint32_t> serviceId(const lb::ServiceKey& service) const;

 private:
  struct Ids {
    std::deque<std::uint32_t> free;
    std::uint32_t next = 0;
    std::uint32_t limit = 0;
  };
  static std::optional<std::uint32_t> take(Ids& ids);

  // The ring each service got last, with what it was built from: a health change rebuilds only
  // the rings of the services it touches.
  struct RingInput {
    std::string scheduler;
    std::vector<std::string> flags;
    std::vector<std::tuple<lb::RealKey, std::uint32_t, int>> members;  // key, index, weight
    friend bool operator==(const RingInput&, const RingInput&) = default;
  };
  struct CachedRing {
    RingInput input;
    std::vector<std::uint32_t> ring;
  };
  base::Result<std::vector<std::uint32_t>> ringFor(const lb::Service& s,
                                                   const std::vector<RingMember>& members);

  keel_config base_;
  std::map<lb::ServiceKey, CachedRing> rings_;
  std::map<lb::ServiceKey, std::uint32_t> service_ids_;
  std::map<std::pair<lb::ServiceKey, lb::RealKey>, std::uint32_t> real_ids_;
  Ids svc_pool_{{}, 0, KEEL_MAX_SERVICES};
  Ids real_pool_{{}, 1, KEEL_MAX_REALS};
  std::vector<std::uint32_t> fresh_services_;  // allocated by the last build()
  std::vector<std::uint32_t> fresh_reals_;
};

// The ABI forms of keel's types.
keel_service_key serviceKeyOf(const lb::ServiceKey& key);
keel_real realEntryOf(const lb::Real& real, const Egress& egress);

}  // namespace keel::dataplane::xdp
