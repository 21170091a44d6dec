// Semantic checks over a whole model::Config that no single keyword can make: a VRID used twice
// on one interface, a VIP in two instances, VRRPv2 with IPv6, duplicate names and virtual
// servers, sync groups naming unknown instances, trackers naming unknown scripts. Pure; any
// thread.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace keel::model {

struct Problem {
  bool error = true;  // false: a warning
  std::string message;
  friend bool operator==(const Problem&, const Problem&) = default;
};

std::vector<Problem> validate(const Config& config);

// The text form of a virtual server's identity: "198.18.0.100:80/TCP", "fwmark 1", "group G".
std::string virtualServerName(const VirtualServer& vs);

}  // namespace keel::model
