// What a health checker reports about a real server, keyed by identity so it survives reloads:
// check emits it, lb turns it into ServiceTable changes (docs/design.md §2: engines never include
// each other; app wires the callback). Plain value; any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "base/address.h"

namespace keel::model {

// A real server of a virtual server: the virtual server as model::virtualServerName() names it
// ("198.18.0.100:80/TCP", "fwmark 7", "group web"), the real server by address and port.
struct RealServerId {
  std::string virtual_server;
  base::IpAddress address;
  std::uint16_t port = 0;

  friend auto operator<=>(const RealServerId&, const RealServerId&) = default;
  friend bool operator==(const RealServerId&, const RealServerId&) = default;
};

struct HealthEvent {
  RealServerId real;
  bool up = true;             // every checker of the real server passes
  std::optional<int> weight;  // a new weight from misc_dynamic; unset: keep the current one
};

}  // namespace keel::model
