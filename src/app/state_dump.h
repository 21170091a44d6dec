// The operator dumps keeld writes on keepalived's signals, under the runtime directory:
// keel.data on SIGUSR1 (keepalived.data in spirit: a configuration summary, VRRP instances with
// state and priority, virtual servers with their reals, alive and weight) and keel.json on
// keepalived's JSON signal (SIGRTMIN+2; the same facts as JSON). A RuntimeView is a plain copy
// of what the engines report, taken by collectView(), the one reader of the running daemon: these
// dumps, keelctl's vrrp, checks, list, whereis and dump (control.h, control_views.h) and the
// metrics page are all rendered from it, so they are pure and tested without engines. Also the
// event loop's lines of keel.stats (SIGUSR2, STATS_CLEAR) and the TDUMP signal's diagnostic dump
// of the loop and its children, for the log. Main thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check/manager.h"
#include "event/child_process.h"
#include "event/loop.h"
#include "lb/service_table.h"
#include "model/config.h"
#include "vrrp/status.h"

namespace keel::lvs {
class Engine;
}

namespace keel::app {

struct VrrpView {
  std::string name;
  std::string state;  // "MASTER", ...
  int priority = 0;   // configured
  int effective_priority = 0;
  std::string interface;
  int vrid = 0;
  std::vector<std::string> vips;
  std::uint64_t transitions = 0;
  std::string fault;   // why it cannot run on its interface; empty when it runs
  std::string master;  // the current master's address; empty when unknown
  vrrp::InstanceCounters counters;
};

struct RuntimeView {
  std::shared_ptr<const model::Config> config;  // the running snapshot; null: none loaded
  std::string config_file;
  std::string instance;  // the configuration's `instance`, or empty
  std::string summary;   // "1 VRRP instance(s), ..." : what the configuration holds
  std::vector<VrrpView> vrrp;
  std::vector<check::RealServerStatus> reals;     // the checkers' view, by real server id
  std::shared_ptr<const lb::ServiceTable> table;  // what the data plane is given
};

// Copies the engines' state (VRRP's from the status its thread published). Any of the three may
// be null (no configuration, not running).
RuntimeView collectView(std::shared_ptr<const model::Config> config, const vrrp::EngineStatus* vrrp,
                        const lvs::Engine* services);

std::string dataText(const RuntimeView& view);
nlohmann::ordered_json dataJson(const RuntimeView& view);

// keel.stats' section on the event loop's exception barrier.
std::string loopStatsText(const event::LoopStats& stats);
// TDUMP (keepalived dumps its thread list): the loop's fds, timers, signals and posted work, and
// every running child, one fact a line.
std::string threadDumpText(const event::LoopSnapshot& loop,
                           const std::vector<event::RunningChild>& children);

}  // namespace keel::app
