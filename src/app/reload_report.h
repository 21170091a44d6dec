// The plan a reload applies, for `keelctl reload --check FILE`, `keeld -t --diff` and keeld's own
// log: VRRP instances kept, updated, restarted, added and removed (vrrp/reload_plan.h decides),
// and virtual and real servers added, changed and removed (model/diff.h). Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "model/diff.h"
#include "vrrp/reload_plan.h"

namespace keel::app {

struct ReloadPlan {
  std::vector<vrrp::InstancePlan> instances;
  model::ConfigDiff changes;  // its vrrp_instances part is the planner's business, not used here
};

ReloadPlan planOf(const model::Config& before, const model::Config& after);

// One line per instance, then per changed virtual or real server, then global settings:
//   vrrp_instance VI_1: update (+198.18.0.101/32)
//   virtual_server 198.18.0.100:80/TCP: changed
//   real_server 198.18.0.100:80/TCP -> 198.18.0.13:80: added
//   global settings: changed
// "no changes" when nothing changes.
std::string planText(const ReloadPlan& plan);
nlohmann::ordered_json planJson(const ReloadPlan& plan);

}  // namespace keel::app
