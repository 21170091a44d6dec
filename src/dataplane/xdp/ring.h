// The scheduling ring of one XDP service (bpf/keel_abi.h keel_ring): KEEL_RING_SIZE slots, each a
// keel_reals index, looked up by keel_flow_hash(flow) % KEEL_RING_SIZE for every new flow and
// every flow the director has no entry for. How each IPVS scheduler becomes a ring, and which
// ones are approximations, is in docs/dataplane.md ("Schedulers in XDP"). Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "lb/service_table.h"

namespace keel::dataplane::xdp {

// How a scheduler is turned into a ring.
enum class RingKind : std::uint8_t {
  Weighted,  // slots in proportion to weight, interleaved (rr, wrr, lc, wlc, sed, nq, twos)
  Maglev,    // lb::buildMaglev over the weights: consistent under changes (mh, sh, lblc, lblcr)
  Single,    // every slot on the one real the core scheduler picks for the VIP (dh, fo, ovf)
};

struct RingPlan {
  RingKind kind = RingKind::Weighted;
  bool equal_weights = false;     // rr and lc ignore weights (other than 0)
  bool hash_source_only = false;  // the flow hash covers the client address, not the ports
  bool exact = true;              // false: an approximation docs/dataplane.md describes
};

// The plan for an lb_algo with its flags (sh-port, mh-port). Unknown names fail with
// InvalidArgument.
base::Result<RingPlan> ringPlan(std::string_view scheduler,
                                std::span<const std::string> flags = {});

// One real as the ring sees it: its keel_reals index and its weight (0: takes no slot).
struct RingMember {
  lb::RealKey key;
  std::uint32_t index = 0;  // > 0
  int weight = 1;
};

// The KEEL_RING_SIZE slots for `service` given its members (a subset of service.reals: those
// that may be forwarded to). No member with weight > 0: every slot 0. Deterministic: the same
// members give the same ring on every director.
base::Result<std::vector<std::uint32_t>> buildRing(const lb::Service& service,
                                                   std::span<const RingMember> members);

// Slot counts in proportion to `weights` that sum to `slots` (largest remainder), interleaved
// so that every prefix of the ring is close to the proportion (smooth weighted round robin).
// Returns for each slot the position in `weights`; empty when every weight is 0.
std::vector<std::uint32_t> weightedSlots(std::span<const int> weights, std::uint32_t slots);

}  // namespace keel::dataplane::xdp
