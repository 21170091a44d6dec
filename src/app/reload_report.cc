#include "app/reload_report.h"

#include <fmt/format.h>

namespace keel::app {

namespace {

const char* changeName(model::ChangeKind kind) {
  switch (kind) {
    case model::ChangeKind::Added:
      return "added";
    case model::ChangeKind::Removed:
      return "removed";
    case model::ChangeKind::Changed:
      return "changed";
  }
  return "changed";
}

// "(+A -B)" for an update's addresses; empty when none change.
std::string vipChanges(const vrrp::InstancePlan& p) {
  std::string out;
  for (const model::VirtualIp& v : p.vips_added) out += " +" + v.address.str();
  for (const model::VirtualIp& v : p.vips_removed) out += " -" + v.address.str();
  return out.empty() ? out : " (" + out.substr(1) + ")";
}

nlohmann::ordered_json changesJson(const std::vector<model::Change>& changes) {
  auto out = nlohmann::ordered_json::array();
  for (const model::Change& c : changes) {
    out.push_back({{"name", c.key}, {"change", changeName(c.kind)}});
  }
  return out;
}

}  // namespace

ReloadPlan planOf(const model::Config& before, const model::Config& after) {
  return {vrrp::planReload(before, after), model::diff(before, after)};
}

std::string planText(const ReloadPlan& plan) {
  std::string out;
  bool changed = false;
  for (const vrrp::InstancePlan& p : plan.instances) {
    out += fmt::format("vrrp_instance {}: {}{}\n", p.name, vrrp::reloadActionName(p.action),
                       vipChanges(p));
    changed |= p.action != vrrp::ReloadAction::Keep;
  }
  for (const model::Change& c : plan.changes.virtual_servers) {
    out += fmt::format("virtual_server {}: {}\n", c.key, changeName(c.kind));
  }
  for (const model::Change& c : plan.changes.real_servers) {
    out += fmt::format("real_server {}: {}\n", c.key, changeName(c.kind));
  }
  if (plan.changes.global_changed) out += "global settings: changed\n";
  changed |= !plan.changes.virtual_servers.empty() || !plan.changes.real_servers.empty() ||
             plan.changes.global_changed;
  if (!changed) out += "no changes\n";
  return out;
}

nlohmann::ordered_json planJson(const ReloadPlan& plan) {
  auto instances = nlohmann::ordered_json::array();
  for (const vrrp::InstancePlan& p : plan.instances) {
    auto vips = [](const std::vector<model::VirtualIp>& list) {
      auto a = nlohmann::ordered_json::array();
      for (const model::VirtualIp& v : list) a.push_back(v.address.str());
      return a;
    };
    instances.push_back({{"name", p.name},
                         {"action", vrrp::reloadActionName(p.action)},
                         {"vips_added", vips(p.vips_added)},
                         {"vips_removed", vips(p.vips_removed)}});
  }
  return {{"vrrp_instances", std::move(instances)},
          {"virtual_servers", changesJson(plan.changes.virtual_servers)},
          {"real_servers", changesJson(plan.changes.real_servers)},
          {"global_changed", plan.changes.global_changed}};
}

}  // namespace keel::app
