// diff(old, new): what a reload changes, keyed by identity (docs/design.md §2): VRRP instances by
// name, virtual servers by address:port/protocol, fwmark or group, real servers by address:port
// within their virtual server. Whatever keeps its identity keeps its runtime state (VRRP state,
// checker state, connections) across the reload. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace keel::model {

enum class ChangeKind { Added, Removed, Changed };

struct Change {
  ChangeKind kind;
  std::string key;  // instance name, virtual server name, or "VS -> RS" for a real server
  friend bool operator==(const Change&, const Change&) = default;
};

struct ConfigDiff {
  bool global_changed = false;
  std::vector<Change> vrrp_instances;
  std::vector<Change> virtual_servers;  // Changed: its own settings, not its real servers'
  std::vector<Change> real_servers;

  bool empty() const {
    return !global_changed && vrrp_instances.empty() && virtual_servers.empty() &&
           real_servers.empty();
  }
};

ConfigDiff diff(const Config& before, const Config& after);

}  // namespace keel::model
