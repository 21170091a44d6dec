// The views behind keelctl's vrrp, checks and dump commands and the metrics page: each reads the
// running engines (through ControlSources) and returns JSON, text or Prometheus samples. Called
// by Operations per request; loop thread only. VRRP is read from the status snapshot its thread
// publishes (vrrp/engine_thread.h), never from the engine itself.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "app/control.h"
#include "ctl/metrics.h"

namespace keel::app {

nlohmann::ordered_json vrrpJson(const vrrp::EngineStatus& status);
// One line per instance; with `stats` its counters and drops by reason below it.
std::string vrrpText(const nlohmann::ordered_json& instances, bool stats);

nlohmann::ordered_json checksJson(const lvs::Engine& services);
std::string checksText(const nlohmann::ordered_json& reals);

// VRRP state as the metric keel_vrrp_state encodes it: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
int vrrpStateValue(const std::string& state_name);

// Every metric of docs/metrics.md from what `sources` gives now.
void addVrrpMetrics(const vrrp::EngineStatus* status, ctl::MetricsText& m);
void addCheckMetrics(const lvs::Engine* services, ctl::MetricsText& m);
void addDataplaneMetrics(const dataplane::Dataplane* dp, ctl::MetricsText& m);
void addControlMetrics(const ctl::ServerCounters& c, ctl::MetricsText& m);
void addLoopMetrics(const event::LoopStats& stats, ctl::MetricsText& m);

}  // namespace keel::app
