#include "lb/decide.h"

#include <algorithm>

namespace keel::lb {

namespace {

std::optional<std::size_t> indexOf(std::span<const Dest> dests, const RealKey& key) {
  for (std::size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].key == key) return i;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Dest> destsOf(const Service& service) {
  std::vector<Dest> out;
  out.reserve(service.reals.size());
  for (const Real& r : service.reals) out.push_back({r.key, r.weight, 0, 0, false});
  return out;
}

// A template still steers its client while its real is in the service, also at weight 0
// (quiesced) or overloaded, as IPVS's ip_vs_check_template allows, unless
// expire_quiescent_template drops it for a weight-0 real.
Decision decide(const Service& service, std::span<const Dest> dests, Scheduler& scheduler,
                PersistenceTable* persistence, const Flow& flow, const PickContext& ctx,
                const DecideOptions& options) {
  Decision d;
  const bool persistent = persistence != nullptr && service.persistent();
  if (persistent) {
    d.persistence = templateKey(service, flow.client);
    if (auto real = persistence->lookup(*d.persistence, ctx.now)) {
      auto index = indexOf(dests, *real);
      if (index && !(options.expire_quiescent_template && dests[*index].weight == 0)) {
        d.dest = index;
        d.reason = Decision::Reason::Persistent;
      } else {
        persistence->erase(*d.persistence);
      }
    }
  }
  if (!d.dest) {
    d.dest = scheduler.pick(dests, flow, ctx);
    d.reason = d.dest ? Decision::Reason::Scheduled : Decision::Reason::NoDestination;
  }
  if (!d.dest) {
    d.persistence.reset();
    return d;
  }
  if (persistent) {
    persistence->connectionStarted(*d.persistence, dests[*d.dest].key, service.persistence_timeout,
                                   ctx.now);
  }
  return d;
}

}  // namespace keel::lb
