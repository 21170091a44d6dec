#include "dataplane/xdp/ring.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "dataplane/xdp/bpf/keel_abi.h"
#include "lb/maglev.h"
#include "lb/scheduler.h"

namespace keel::dataplane::xdp {

namespace {

bool hasFlag(std::span<const std::string> flags, std::string_view flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::vector<std::uint32_t> weightedRing(std::span<const RingMember> members, bool equal) {
  std::vector<int> weights;
  weights.reserve(members.size());
  for (const RingMember& m : members) weights.push_back(m.weight > 0 ? (equal ? 1 : m.weight) : 0);
  std::vector<std::uint32_t> ring = weightedSlots(weights, KEEL_RING_SIZE);
  for (std::uint32_t& slot : ring) slot = members[slot].index;
  if (ring.empty()) ring.assign(KEEL_RING_SIZE, 0);
  return ring;
}

base::Result<std::vector<std::uint32_t>> maglevRing(std::span<const RingMember> members) {
  std::vector<lb::MaglevBackend> backends;
  for (const RingMember& m : members) {
    backends.push_back({m.key, static_cast<std::uint32_t>(std::max(m.weight, 0))});
  }
  auto table = lb::buildMaglev(backends, KEEL_RING_SIZE);
  if (!table) return table.error();
  std::vector<std::uint32_t> ring(KEEL_RING_SIZE, 0);
  if (table->empty()) return ring;
  std::vector<std::uint32_t> index_of;  // table->backends position -> keel_reals index
  for (const lb::RealKey& key : table->backends) {
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const RingMember& m) { return m.key == key; });
    index_of.push_back(it->index);
  }
  for (std::size_t i = 0; i < ring.size(); ++i) ring[i] = index_of[table->slots[i]];
  return ring;
}

// Every slot on the real the core scheduler picks for a flow to the VIP itself: dh hashes the
// destination, which is the VIP for every packet of the service; fo/ovf take the heaviest.
base::Result<std::vector<std::uint32_t>> singleRing(const lb::Service& service,
                                                    std::span<const RingMember> members) {
  auto sched = lb::makeScheduler(service.scheduler, service.scheduler_flags);
  if (!sched) return sched.error();
  std::vector<lb::Dest> dests;
  for (const RingMember& m : members) dests.push_back({m.key, m.weight});
  (*sched)->update(dests);
  lb::Flow flow{service.key.address, 0, service.key.address, service.key.port,
                service.key.protocol};
  auto pick = (*sched)->pick(dests, flow, lb::PickContext{});
  return std::vector<std::uint32_t>(KEEL_RING_SIZE, pick ? members[*pick].index : 0);
}

}  // namespace

base::Result<RingPlan> ringPlan(std::string_view scheduler, std::span<const std::string> flags) {
  if (scheduler == "rr" || scheduler == "lc")
    return RingPlan{RingKind::Weighted, true, false, scheduler == "rr"};
  if (scheduler == "wrr") return RingPlan{RingKind::Weighted, false, false, true};
  if (scheduler == "wlc" || scheduler == "sed" || scheduler == "nq" || scheduler == "twos") {
    return RingPlan{RingKind::Weighted, false, false, false};
  }
  if (scheduler == "mh") {
    return RingPlan{RingKind::Maglev, false, !hasFlag(flags, "mh-port"), true};
  }
  if (scheduler == "sh") {
    return RingPlan{RingKind::Maglev, false, !hasFlag(flags, "sh-port"), false};
  }
  if (scheduler == "lblc" || scheduler == "lblcr") {
    return RingPlan{RingKind::Maglev, false, true, false};
  }
  if (scheduler == "dh" || scheduler == "fo") return RingPlan{RingKind::Single, false, true, true};
  if (scheduler == "ovf") return RingPlan{RingKind::Single, false, true, false};
  return base::makeError(base::ErrorCode::InvalidArgument,
                         fmt::format("unknown scheduler {}", scheduler));
}

base::Result<std::vector<std::uint32_t>> buildRing(const lb::Service& service,
                                                   std::span<const RingMember> members) {
  auto plan = ringPlan(service.scheduler, service.scheduler_flags);
  if (!plan) return plan.error();
  switch (plan->kind) {
    case RingKind::Weighted:
      return weightedRing(members, plan->equal_weights);
    case RingKind::Maglev:
      return maglevRing(members);
    case RingKind::Single:
      return singleRing(service, members);
  }
  return base::makeError(base::ErrorCode::InvalidArgument, "bad ring kind");
}

std::vector<std::uint32_t> weightedSlots(std::span<const int> weights, std::uint32_t slots) {
  const std::int64_t total =
      std::accumulate(weights.begin(), weights.end(), std::int64_t{0},
                      [](std::int64_t sum, int w) { return sum + std::max(w, 0); });
  if (total == 0 || slots == 0) return {};
  // Largest remainder: floor shares first, then one more slot each to the largest remainders
  // (ties to the earlier position, so the result depends only on the input order).
  std::vector<std::int64_t> quota(weights.size());
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::int64_t share = std::int64_t{std::max(weights[i], 0)} * slots;
    quota[i] = share / total;
    given += quota[i];
    if (weights[i] > 0) remainders.emplace_back(-(share % total), i);
  }
  std::sort(remainders.begin(), remainders.end());
  for (std::size_t r = 0; given < slots; ++r, ++given) ++quota[remainders[r].second];
  // Smooth weighted round robin over exactly `slots` turns: each turn every member gains its
  // quota, the one with the most credit takes the slot and pays `slots`.
  std::vector<std::int64_t> credit(weights.size(), 0);
  std::vector<std::uint32_t> out;
  out.reserve(slots);
  for (std::uint32_t s = 0; s < slots; ++s) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < quota.size(); ++i) {
      credit[i] += quota[i];
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= slots;
    out.push_back(static_cast<std::uint32_t>(best));
  }
  return out;
}

}  // namespace keel::dataplane::xdp
