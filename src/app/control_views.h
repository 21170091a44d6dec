// The views behind keelctl's vrrp, checks and dump commands and the metrics page: each renders a
// RuntimeView (state_dump.h: collectView is the one reader of the running engines; VRRP comes from
// the status snapshot its thread publishes, never from the engine itself) as JSON, text or
// Prometheus samples. Pure; called by Operations per request on the loop thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "app/control.h"
#include "app/state_dump.h"
#include "ctl/metrics.h"

namespace keel::app {

nlohmann::ordered_json vrrpJson(const std::vector<VrrpView>& instances);
// One line per instance; with `stats` its counters and drops by reason below it.
std::string vrrpText(const nlohmann::ordered_json& instances, bool stats);

nlohmann::ordered_json checksJson(const std::vector<check::RealServerStatus>& reals);
std::string checksText(const nlohmann::ordered_json& reals);

// VRRP state as the metric keel_vrrp_state encodes it: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
int vrrpStateValue(const std::string& state_name);

// Every metric of docs/metrics.md: the engines' from the view, the rest from their owners.
void addVrrpMetrics(const RuntimeView& view, ctl::MetricsText& m);
void addCheckMetrics(const RuntimeView& view, ctl::MetricsText& m);
void addDataplaneMetrics(const dataplane::Dataplane* dp, ctl::MetricsText& m);
void addControlMetrics(const ctl::ServerCounters& c, ctl::MetricsText& m);
void addLoopMetrics(const event::LoopStats& stats, ctl::MetricsText& m);

}  // namespace keel::app
