// Semantic checks over a whole model::Config that no single keyword can make: a VRID used twice
// on one interface, a VIP in two instances, VRRPv2 with IPv6, duplicate names and virtual
// servers, sync groups naming unknown instances, trackers naming unknown scripts. Pure; any
// thread.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace keel::model {

// What a problem is about, as a path into the configuration's blocks: {"vrrp_instance", "VI_1",
// "virtual_router_id"}, {"vrrp_instance", "VI_1", "virtual_ipaddress", "198.18.0.100/32"},
// {"virtual_server", "198.18.0.100:80/TCP"}, ... The config reader maps it to the file:line:col of
// the statement at fault (conf/source_index.h); the model itself keeps no positions, so that a
// moved line is no change to a reload.
using Subject = std::vector<std::string>;

struct Problem {
  bool error = true;  // false: a warning
  std::string message;
  Subject subject;
  friend bool operator==(const Problem&, const Problem&) = default;
};

std::vector<Problem> validate(const Config& config);

}  // namespace keel::model
