// What a health checker reports about a real server, keyed by identity so it survives reloads:
// check emits it, lb turns it into ServiceTable changes (docs/design.md §2: engines never include
// each other; app wires the callback). Plain value; any thread.
#pragma once

#include <optional>

#include "model/identity.h"

namespace keel::model {

struct HealthEvent {
  RealServerId real;
  bool up = true;             // every checker of the real server passes
  std::optional<int> weight;  // a new weight from misc_dynamic; unset: keep the current one
};

}  // namespace keel::model
