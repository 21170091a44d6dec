// The VRRP engine: every vrrp_instance of a configuration running on the control-plane event
// loop, with what feeds them — interface states from rtnetlink events, vrrp_script runs with
// rise/fall, track_file values, BFD session states that app forwards — aggregated per instance into
// FAULT and a priority delta (docs/reference/keepalived.md §2.6-2.7), notify scripts run as child
// processes and FIFO lines. app wires it (start at boot, stop on SIGTERM). Control-plane thread
// only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "event/child_process.h"
#include "event/loop.h"
#include "event/notifier.h"
#include "event/script_policy.h"
#include "model/config.h"
#include "net/rtnetlink.h"
#include "vrrp/instance.h"
#include "vrrp/reload_plan.h"
#include "vrrp/sync_group.h"
#include "vrrp/tracking.h"

namespace keel::vrrp {

struct EngineOptions {
  bool keep_addresses_on_stop = false;  // keeld -V
  std::function<void(const std::string& name, State from, State to)> on_transition;
};

class Engine {
 public:
  // Opens rtnetlink and every instance (sockets, interfaces). An instance that cannot open
  // (missing interface, no source address) is an error naming it.
  static base::Result<std::unique_ptr<Engine>> create(event::Loop& loop,
                                                      std::shared_ptr<const model::Config> config,
                                                      EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the scripts' schedules and every instance (keepalived's start-up rules).
  void start();
  // Orderly stop: MASTERs send priority 0 and remove their VIPs (unless -V); notify STOP;
  // running scripts are killed.
  void stop();

  // SIGHUP: carries out vrrp/reload_plan.h by instance name. Kept and updated instances keep
  // their state (no transition, no priority-0 advert, unchanged VIPs untouched); restarted and
  // removed ones stop as at shutdown, new ones start as at boot. Sync groups are rebuilt around
  // the running members and adopt their state; vrrp_scripts whose definition is unchanged keep
  // their rise/fall verdict; tracking is re-evaluated. An instance that cannot open is logged
  // and left out. REQUIRES: start() was called.
  void reload(std::shared_ptr<const model::Config> config);

  // A BFD session is Up or not (app forwards bfd::Events here): the instances that track it
  // (track_bfd) are re-evaluated. A session not heard of yet is not Up, as in keepalived, so an
  // unweighted track_bfd holds its instance in FAULT until the session first comes Up.
  void setBfdState(const std::string& session, bool up);

  const std::vector<std::unique_ptr<Instance>>& instances() const { return instances_; }

  // The statistics dump (keepalived's SIGUSR2 keepalived.stats, keel's shape): per instance its
  // state, priority, adverts sent and received, transitions and every drop counter by reason.
  std::string statsText() const;

 private:
  struct ScriptRunner {
    model::VrrpScript config;
    std::vector<std::string> argv;  // empty: disabled (not found, or refused by script security)
    ScriptVerdict verdict;
    std::unique_ptr<event::ChildProcess> child;
    std::unique_ptr<base::Timer> timer;
  };

  struct Group {
    const model::SyncGroup* config = nullptr;
    std::vector<Instance*> members;
    std::unique_ptr<SyncGroup> group;
  };

  Engine(event::Loop& loop, std::shared_ptr<const model::Config> config, EngineOptions options,
         net::Rtnetlink netlink);

  base::Status openInstances();
  InstanceContext context();
  std::vector<Instance*> reloadInstances(const std::vector<InstancePlan>& plans);
  void reloadScripts();
  void addScript(const model::VrrpScript& s);
  void readLinks();
  void onNetEvents();
  void scheduleScript(ScriptRunner& runner, base::Duration delay);
  void runScriptCheck(ScriptRunner& runner);
  void retrack();
  void readTrackFiles();
  base::Status openGroups();
  void reconcileGroup(Group& group);
  TrackingResult trackingOf(const model::VrrpInstance& vi) const;
  void runScript(const model::Script& script, const std::string& why);
  void writeFifo(const std::string& line);
  event::ScriptPolicy scriptPolicy() const;

  event::Loop& loop_;
  std::shared_ptr<const model::Config> config_;
  EngineOptions options_;
  net::Rtnetlink netlink_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::map<std::string, bool> links_up_;  // interface name -> up and running
  std::map<std::string, std::unique_ptr<ScriptRunner>> scripts_;
  std::map<std::string, std::int64_t> file_values_;  // track_file name -> last value read
  std::unique_ptr<base::Timer> file_timer_;
  std::map<std::string, bool> bfd_up_;  // bfd_instance name -> Up
  event::Notifier notifier_;            // notify scripts
  std::vector<std::unique_ptr<Group>> groups_;
  std::map<const Instance*, Group*> group_of_;
  bool reconciling_ = false;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace keel::vrrp
