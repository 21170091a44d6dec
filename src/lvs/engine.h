// lvs::Engine: keepalived's checker process inside keeld (docs/reference/keepalived.md §3.3,
// §3.6), the virtual servers' engine. It owns the CheckManager and the desired ServiceTable
// (lb::DesiredState) and acts on each HealthEvent as keepalived does: "Removing service ... from
// VS ..." / "Adding service ...", the real server's notify_up/notify_down, `RS ...` FIFO lines; on
// a quorum change quorum_up/quorum_down and `VS ...` FIFO lines. Whoever forwards (keeld's data
// plane) subscribes to the tables. Created by app on the control-plane loop; loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "check/manager.h"
#include "event/loop.h"
#include "event/notifier.h"
#include "event/script_policy.h"
#include "lb/desired_state.h"
#include "model/config.h"

namespace keel::lvs {

// The script settings of global_defs: who runs scripts, and whether keel checks their paths.
event::ScriptPolicy scriptPolicyOf(const model::Config& config);

class Engine {
 public:
  using TableSink = std::function<void(std::shared_ptr<const lb::ServiceTable>)>;

  // Starts every checker. `factory` makes each checker's probe (check::makeProbeFactory in
  // keeld; fakes in tests).
  Engine(event::Loop& loop, std::shared_ptr<const model::Config> config,
         check::ProbeFactory factory);

  // `sink` gets the current desired table now, then every table that differs from the one
  // before it (after a health event, a quorum change or a reload). REQUIRES: whatever `sink`
  // refers to outlives this Engine.
  void subscribe(TableSink sink);

  // SIGHUP: checkers and real servers that stay keep their state (check::CheckManager,
  // lb::DesiredState); quorum changes the new configuration causes are acted on.
  void reload(std::shared_ptr<const model::Config> config);

  // ha_suspend: a VRRP instance went to or left MASTER with these virtual addresses.
  void setAddressesPresent(const std::vector<base::IpAddress>& addresses, bool present);

  // BFD_CHECK: a bfd_instance's session is Up or not (check::CheckManager::setBfdState).
  void setBfdState(const std::string& session, bool up) { checks_->setBfdState(session, up); }

  const lb::DesiredState& desired() const { return *desired_; }
  const check::CheckManager& checks() const { return *checks_; }

 private:
  void onHealth(const model::HealthEvent& event);
  void onQuorum(const lb::QuorumChange& change);
  void syncFromCheckers();
  // Hands the table to every subscriber when it differs from `before`.
  void publishTable(const std::shared_ptr<const lb::ServiceTable>& before);
  std::vector<std::string> fifoPaths() const;
  const model::VirtualServer* findServer(const model::VirtualServerId& id) const;
  void indexServers();

  event::Loop& loop_;
  std::shared_ptr<const model::Config> config_;
  // Each virtual server of *config_ by identity (the first of a duplicate, which validate refuses).
  std::unordered_map<model::VirtualServerId, const model::VirtualServer*> servers_;
  event::Notifier notifier_;
  std::vector<TableSink> sinks_;
  std::unique_ptr<lb::DesiredState> desired_;
  std::unique_ptr<check::CheckManager> checks_;
};

}  // namespace keel::lvs
