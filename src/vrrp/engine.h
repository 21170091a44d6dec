// The VRRP engine: every vrrp_instance of a configuration on one event loop (the VRRP thread's,
// vrrp/engine_thread.h), with what feeds them — interface and address events from netlink,
// vrrp_script runs with rise/fall, track_file values, BFD session states its owner posts
// (setBfdState) — aggregated per instance into FAULT and a priority delta
// (docs/reference/keepalived.md §2.6-2.7), notify scripts run as child processes and FIFO lines. It
// reaches the OS only through net::Sockets (the kernel's, or FakeNet in unit tests) and the loop's
// clock. Every configured instance exists (no null instances): one that cannot bind is in FAULT
// with its reason until it can (vrrp/instance.h). The loop's thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "event/child_process.h"
#include "event/loop.h"
#include "event/notifier.h"
#include "event/script_policy.h"
#include "event/track_file.h"
#include "model/config.h"
#include "model/tracks.h"
#include "net/netlink.h"
#include "net/sockets.h"
#include "vrrp/host_view.h"
#include "vrrp/instance.h"
#include "vrrp/reload_plan.h"
#include "vrrp/status.h"
#include "vrrp/sync_group.h"
#include "vrrp/tracking.h"

namespace keel::vrrp {

struct EngineOptions {
  bool keep_addresses_on_stop = false;  // keeld -V
  net::Sockets* sockets = nullptr;      // null: net::systemSockets()
  // After every state change, on the engine's thread.
  std::function<void(const std::string& name, State from, State to)> on_transition;
  // After anything the status reports changed (a transition, a counter, a fault, a reload),
  // once per loop iteration at most, on the engine's thread: status() is worth reading again.
  std::function<void()> on_change;
};

class Engine {
 public:
  // Opens netlink, reads the host's links and addresses and creates every instance (each binds
  // to its interface if it can). Errors: the configuration fails checkConfig(); netlink cannot
  // be opened or read.
  static base::Result<std::unique_ptr<Engine>> create(event::Loop& loop,
                                                      std::shared_ptr<const model::Config> config,
                                                      EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Removes VIPs an earlier run left on the interfaces (unless -V), then starts the scripts'
  // schedules and every instance (keepalived's start-up rules).
  void start();
  // Orderly stop: MASTERs send priority 0 and remove their VIPs (unless -V); notify STOP;
  // running vrrp_scripts get SIGTERM. Notify scripts started here keep running: see
  // runningScripts().
  void stop();
  // Notify and vrrp_script processes that have not ended yet.
  std::size_t runningScripts();

  // SIGHUP: carries out vrrp/reload_plan.h by instance name, all or nothing: a configuration
  // that fails checkConfig() is refused and the running one stays. Kept and updated instances
  // keep their state (no transition, no priority-0 advert, unchanged VIPs untouched); restarted
  // and removed ones stop as at shutdown, new ones start as at boot. Sync groups are rebuilt
  // around the running members and adopt their state; vrrp_scripts whose definition is unchanged
  // keep their rise/fall verdict; tracking is re-evaluated. REQUIRES: start() was called.
  base::Status reload(std::shared_ptr<const model::Config> config);

  // A BFD session is Up or not (EngineThread::setBfdState posts bfd::Events here): the instances
  // that track it (track_bfd) are re-evaluated. A session not heard of yet is not Up, as in
  // keepalived, so an unweighted track_bfd holds its instance in FAULT until the session first
  // comes Up.
  void setBfdState(const std::string& session, bool up);

  const std::vector<std::unique_ptr<Instance>>& instances() const { return instances_; }
  const model::Config& config() const { return *config_; }
  EngineStatus status() const;

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
         std::unique_ptr<net::Netlink> netlink);

  void openInstances();
  InstanceContext context();
  std::vector<Instance*> reloadInstances(const std::vector<InstancePlan>& plans);
  void startFresh(const std::vector<Instance*>& fresh);
  void openGroups();
  void reconcileGroup(Group& group);
  void changed();
  bool isVip(const base::IpAddress& address) const;

  // engine_tracking.cc
  void reloadScripts();
  void addScript(const model::VrrpScript& s);
  void onNetEvents();
  void onNetEvent(const net::NetEvent& e);
  void rereadHost();
  void scheduleScript(ScriptRunner& runner, base::Duration delay);
  void runScriptCheck(ScriptRunner& runner);
  void retrack();
  void initTrackFiles();
  void watchTrackFiles();
  TrackingResult trackingOf(const model::VrrpInstance& vi) const;
  void resolveTracks();
  void runScript(const model::Script& script, const std::string& why);
  void writeFifo(const std::string& line);
  event::ScriptPolicy scriptPolicy() const;

  event::Loop& loop_;
  std::shared_ptr<const model::Config> config_;
  // Each instance's trackers with its sync group's (model/tracks.h), resolved once per config_.
  std::map<std::string, model::EffectiveTracks> tracks_;
  EngineOptions options_;
  std::unique_ptr<net::Netlink> netlink_;
  HostView host_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::map<std::string, std::unique_ptr<ScriptRunner>> scripts_;
  std::unique_ptr<event::TrackFileWatcher> files_;  // track_file values, once any is defined
  std::map<std::string, bool> bfd_up_;              // bfd_instance name -> Up
  event::Notifier notifier_;                        // notify scripts
  std::vector<std::unique_ptr<Group>> groups_;
  std::map<const Instance*, Group*> group_of_;
  bool reconciling_ = false;
  bool started_ = false;
  bool stopping_ = false;
  bool change_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work posted to the loop
};

}  // namespace keel::vrrp
