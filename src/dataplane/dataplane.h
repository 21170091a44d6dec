// The seam between the control plane and whatever forwards packets (DESIGN.md §4): XDP, the
// userspace proxy, a recording fake in tests. The control plane computes the whole desired
// ServiceTable and hands it over; the backend reconciles to it (dataplane/reconcile.h gives the
// operations). Called on the control-plane thread only.
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "dataplane/service_table.h"

namespace keel::dataplane {

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  virtual std::string_view name() const = 0;

  // Make the data plane forward as `table` says. On error the backend keeps forwarding as
  // before as far as it can, and the next apply() starts again from what it really holds.
  virtual base::Result<void> apply(std::shared_ptr<const ServiceTable> table) = 0;
};

}  // namespace keel::dataplane
