#include "vrrp/reload_plan.h"

#include <algorithm>
#include <map>

namespace keel::vrrp {

namespace {

bool isV6(const model::VrrpInstance& vi) {
  return !vi.virtual_ipaddress.empty() && vi.virtual_ipaddress[0].address.address().isV6();
}

// What the instance's socket and its place on the segment depend on.
bool sameIdentity(const model::VrrpInstance& a, const model::VrrpInstance& b) {
  return a.interface == b.interface && a.virtual_router_id == b.virtual_router_id &&
         a.version == b.version && a.unicast_src_ip == b.unicast_src_ip &&
         a.unicast_peer == b.unicast_peer && isV6(a) == isV6(b);
}

std::vector<model::VirtualIp> allVips(const model::VrrpInstance& vi) {
  std::vector<model::VirtualIp> out = vi.virtual_ipaddress;
  out.insert(out.end(), vi.virtual_ipaddress_excluded.begin(), vi.virtual_ipaddress_excluded.end());
  return out;
}

// The entries of `from` that `other` does not hold.
std::vector<model::VirtualIp> missingFrom(const std::vector<model::VirtualIp>& from,
                                          const std::vector<model::VirtualIp>& other) {
  std::vector<model::VirtualIp> out;
  for (const model::VirtualIp& v : from) {
    if (std::find(other.begin(), other.end(), v) == other.end()) out.push_back(v);
  }
  return out;
}

InstancePlan planOne(const model::VrrpInstance* before, const model::VrrpInstance& after) {
  InstancePlan plan{after.name, ReloadAction::Keep, {}, {}};
  if (before == nullptr) {
    plan.action = ReloadAction::Add;
  } else if (!sameIdentity(*before, after)) {
    plan.action = ReloadAction::Restart;
  } else if (!(*before == after)) {
    plan.action = ReloadAction::Update;
    plan.vips_added = missingFrom(allVips(after), allVips(*before));
    plan.vips_removed = missingFrom(allVips(*before), allVips(after));
  }
  return plan;
}

}  // namespace

const char* reloadActionName(ReloadAction a) {
  switch (a) {
    case ReloadAction::Keep:
      return "keep";
    case ReloadAction::Update:
      return "update";
    case ReloadAction::Restart:
      return "restart";
    case ReloadAction::Add:
      return "add";
    case ReloadAction::Remove:
      return "remove";
  }
  return "?";
}

std::vector<InstancePlan> planReload(const model::Config& before, const model::Config& after) {
  std::map<std::string, const model::VrrpInstance*> old;
  for (const model::VrrpInstance& vi : before.vrrp_instances) old.emplace(vi.name, &vi);
  std::vector<InstancePlan> plans;
  for (const model::VrrpInstance& vi : after.vrrp_instances) {
    auto it = old.find(vi.name);
    plans.push_back(planOne(it == old.end() ? nullptr : it->second, vi));
    if (it != old.end()) old.erase(it);
  }
  for (const model::VrrpInstance& vi : before.vrrp_instances) {
    if (old.contains(vi.name)) plans.push_back({vi.name, ReloadAction::Remove, {}, {}});
  }
  return plans;
}

}  // namespace keel::vrrp
