// Every IPVS scheduler behind one signature (dataplane.md §3.3): given the destinations of one
// service and a new flow, pick the destination that gets it. Pure: time and randomness come in
// as arguments, nothing is read from the system. One Scheduler object per service, owned by the
// data plane that uses it; not thread-safe (a proxy worker owns its own).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "lb/service_table.h"

namespace keel::lb {

// One destination as a scheduler sees it: the configured real plus its live counters.
struct Dest {
  RealKey key;
  int weight = 1;              // 0: takes no new connections
  std::uint32_t active = 0;    // established connections
  std::uint32_t inactive = 0;  // connections in other states
  bool overloaded = false;     // above its upper threshold: takes no new connections

  bool available() const { return weight > 0 && !overloaded; }
  // IPVS's ip_vs_dest_conn_overhead: active * 256 + inactive.
  std::uint64_t overhead() const { return std::uint64_t{active} * 256 + inactive; }
};

// A new flow, from the client's side.
struct Flow {
  base::IpAddress client;
  std::uint16_t client_port = 0;
  base::IpAddress vip;
  std::uint16_t vport = 0;
  Protocol protocol = Protocol::Tcp;
};

// What a pick may depend on besides the flow and the destinations.
struct PickContext {
  std::chrono::microseconds now{};  // for lblc/lblcr expiry
  std::uint64_t random = 0;         // for twos: a fresh uniform 64-bit value per pick
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  virtual std::string_view name() const = 0;

  // The destination list changed (added, removed, weight, availability). Rebuilds tables
  // (sh/dh/mh) and resets cursors as IPVS does on a destination update. Counters alone changing
  // need no call.
  virtual void update(std::span<const Dest> dests) = 0;

  // REQUIRES: update() was called with a list of the same keys and weights.
  // Returns the index in `dests` of the destination for `flow`, or nullopt when none may take it.
  virtual std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& flow,
                                          const PickContext& ctx) = 0;

  // Why `flow` would go where it goes, for `keelctl whereis` (e.g. "bucket 17 of 256 (source
  // hash)"). Does not change the scheduler's state. The default names the scheduler.
  virtual std::string explain(std::span<const Dest> dests, const Flow& flow) const;
};

// The scheduler for keepalived's lb_algo NAME with its flags (sh-port, sh-fallback, mh-port,
// mh-fallback). Unknown names or flags fail with InvalidArgument naming the accepted ones.
base::Result<std::unique_ptr<Scheduler>> makeScheduler(std::string_view name,
                                                       std::span<const std::string> flags = {});

// Every name makeScheduler() accepts, in IPVS's order.
std::span<const std::string_view> schedulerNames();

}  // namespace keel::lb
