// What a reload (SIGHUP) does to each vrrp_instance, decided by name: a pure planner, so the
// rule is one function with its own tests, and vrrp::Engine::reload() only carries it out.
//
//   Keep     identical: nothing happens (state, timers, VIPs untouched)
//   Update   same interface, VRID, version, unicast source and peers, address family: changed
//            in place — priority, advert_int, preempt, tracking, notify, VIPs (only the added
//            and removed addresses are touched) — with no state transition and no
//            priority-0 advert
//   Restart  the socket or the router identity changed (interface, VRID, version, unicast
//            source or peers, family, multicast group — global defaults included): the old
//            instance stops as at shutdown, the new one starts as at boot
//   Add / Remove  a new name starts as at boot; a gone name stops as at shutdown
//
// keepalived matches instances by VRID/interface/family rather than by name
// (docs/reference/keepalived.md §4.3); keel matches by name as docs/design.md §2 says for every
// reload, and treats an identity change as a restart. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "model/config.h"

namespace keel::vrrp {

enum class ReloadAction { Keep, Update, Restart, Add, Remove };
const char* reloadActionName(ReloadAction a);  // "keep", "update", ...

struct InstancePlan {
  std::string name;
  ReloadAction action = ReloadAction::Keep;
  // Update only: the VIPs (virtual_ipaddress and _excluded) to add and to remove.
  std::vector<model::VirtualIp> vips_added;
  std::vector<model::VirtualIp> vips_removed;
};

// One plan per instance of `before` and `after`: `after`'s order, then the removed ones.
std::vector<InstancePlan> planReload(const model::Config& before, const model::Config& after);

// What the engine needs of a configuration before it applies any of it (a reload is all or
// nothing): instance names are unique, and every sync group member names an instance that no
// other group holds. Errors: InvalidArgument naming the instance or group.
base::Status checkConfig(const model::Config& config);

}  // namespace keel::vrrp
