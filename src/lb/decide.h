// The decision every data plane makes for a new flow (dataplane.md §3.4): a live persistence
// template wins, else the service's scheduler picks. Shared by the data planes so persistence
// means the same everywhere; `keelctl whereis` explains the same decision. Pure: time and
// randomness come in the context. Same thread rules as the Scheduler and PersistenceTable used.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "lb/persistence.h"
#include "lb/scheduler.h"
#include "lb/service_table.h"

namespace keel::lb {

struct Decision {
  enum class Reason { Persistent, Scheduled, NoDestination };
  std::optional<std::size_t> dest;  // index into the destinations
  Reason reason = Reason::NoDestination;
  std::optional<TemplateKey> persistence;  // the template that now controls the flow
};

struct DecideOptions {
  // IPVS's expire_quiescent_template: a template pointing at a weight-0 real is dropped instead
  // of still sending its client there.
  bool expire_quiescent_template = false;
};

// REQUIRES: `dests` lists `service.reals` in order (same keys) with live counters, and
// `scheduler` was updated with them. With `persistence` (non-null for a persistent service) the
// template is looked up first and, once a destination is chosen, started or restarted
// (PersistenceTable::connectionStarted); the caller ends it when the connection ends.
Decision decide(const Service& service, std::span<const Dest> dests, Scheduler& scheduler,
                PersistenceTable* persistence, const Flow& flow, const PickContext& ctx,
                const DecideOptions& options = {});

// The destinations a scheduler sees for `service` with zero counters.
std::vector<Dest> destsOf(const Service& service);

}  // namespace keel::lb
