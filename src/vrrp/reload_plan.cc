#include "vrrp/reload_plan.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

namespace keel::vrrp {

namespace {

bool isV6(const model::VrrpInstance& vi) {
  return !vi.virtual_ipaddress.empty() && vi.virtual_ipaddress[0].address.address().isV6();
}

// What the instance's socket and its place on the segment depend on, global defaults included
// (the version an instance without `version` takes, the multicast group it joins).
struct Identity {
  std::string interface;
  int vrid = 0;
  int version = 0;
  bool v6 = false;
  std::optional<base::IpAddress> unicast_src;
  std::vector<model::UnicastPeer> peers;
  std::optional<base::IpAddress> group;  // multicast only

  friend bool operator==(const Identity&, const Identity&) = default;
};

Identity identityOf(const model::VrrpInstance& vi, const model::GlobalDefs& g) {
  Identity id;
  id.interface = vi.interface;
  id.vrid = vi.virtual_router_id;
  id.v6 = isV6(vi);
  id.version = id.v6 ? 3 : (vi.version != 0 ? vi.version : g.vrrp_version);
  id.unicast_src = vi.unicast_src_ip;
  id.peers = vi.unicast_peer;
  if (vi.unicast_peer.empty()) id.group = id.v6 ? g.vrrp_mcast_group6 : g.vrrp_mcast_group4;
  return id;
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

InstancePlan planOne(const model::VrrpInstance* before, const model::Config& old_config,
                     const model::VrrpInstance& after, const model::Config& new_config) {
  InstancePlan plan{after.name, ReloadAction::Keep, {}, {}};
  if (before == nullptr) {
    plan.action = ReloadAction::Add;
  } else if (identityOf(*before, old_config.global) != identityOf(after, new_config.global)) {
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
    plans.push_back(planOne(it == old.end() ? nullptr : it->second, before, vi, after));
    if (it != old.end()) old.erase(it);
  }
  for (const model::VrrpInstance& vi : before.vrrp_instances) {
    if (old.contains(vi.name)) plans.push_back({vi.name, ReloadAction::Remove, {}, {}});
  }
  return plans;
}

base::Status checkConfig(const model::Config& config) {
  std::map<std::string, std::string> owner;  // instance -> the group holding it ("" for none)
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    if (!owner.emplace(vi.name, "").second) {
      return base::makeError(base::ErrorCode::InvalidArgument,
                             fmt::format("vrrp_instance {} is defined twice", vi.name));
    }
  }
  for (const model::SyncGroup& g : config.sync_groups) {
    for (const std::string& member : g.members) {
      auto it = owner.find(member);
      if (it == owner.end() || !it->second.empty()) {
        return base::makeError(
            base::ErrorCode::InvalidArgument,
            fmt::format("VRRP_Group({}) member {} is not a free instance", g.name, member));
      }
      it->second = g.name;
    }
  }
  return base::ok();
}

}  // namespace keel::vrrp
