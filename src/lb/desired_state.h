// Desired state (docs/design.md §2): model::Config plus health events -> the ServiceTable every
// data plane reconciles to. It applies keepalived's real-server and quorum rules
// (docs/reference/keepalived.md §3.3, §3.6): a real is alive iff all its checkers pass (always,
// without checkers; down at start with alpha); a dead real is removed, or kept at weight 0 with
// inhibit_on_failure; a service whose live weight falls below quorum (with hysteresis) is served by
// its sorry server. Reload keeps the health of every real that stays (matched by identity). Owned
// by the control-plane thread; the tables it hands out are immutable and may go to any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lb/service_table.h"
#include "model/config.h"
#include "model/health.h"

namespace keel::lb {

// A virtual server gained or lost quorum: app runs quorum_up/quorum_down, logs and writes the
// FIFO line.
struct QuorumChange {
  model::VirtualServerId virtual_server;
  bool up = false;
  int weight_sum = 0;
  int quorum = 1;
  int hysteresis = 0;
};

class DesiredState {
 public:
  // Starts every real as keepalived does at boot. `changes` receives nothing here; use
  // quorumUp() for the initial state ("Starting with quorum up/down").
  explicit DesiredState(std::shared_ptr<const model::Config> config);

  // Reload: reals (and virtual servers) that stay keep their health, dynamic weight and quorum
  // state; new ones start as at boot. Returns the quorum changes the new config causes.
  std::vector<QuorumChange> reload(std::shared_ptr<const model::Config> config);

  // A checker verdict. Returns the quorum changes it causes; an unknown real is ignored (it may
  // have been removed by a reload in between). `*changed` (if given) says whether the table
  // changed.
  std::vector<QuorumChange> onHealth(const model::HealthEvent& event, bool* changed = nullptr);

  // The current desired table (rebuilt after each change, shared until the next).
  std::shared_ptr<const ServiceTable> table() const { return table_; }

  // The quorum state of a virtual server, nullopt if there is no such server.
  std::optional<bool> quorumUp(const model::VirtualServerId& virtual_server) const;

  // Whether a real is alive, nullopt if unknown.
  std::optional<bool> alive(const model::RealServerId& real) const;

 private:
  struct RealState {
    bool alive = true;
    std::optional<int> weight;  // dynamic weight; unset: configured
  };
  struct VsState {
    bool quorum_up = true;
  };

  void startReals(const model::Config& config);
  std::optional<QuorumChange> evaluateQuorum(const model::VirtualServer& vs, bool initial);
  int weightSum(const model::VirtualServer& vs, const model::VirtualServerId& id) const;
  std::vector<Real> realsOf(const model::VirtualServer& vs, const model::VirtualServerId& id) const;
  std::vector<ServicePtr> buildServer(const model::VirtualServer& vs,
                                      const model::VirtualServerId& id) const;
  void rebuild();
  void rebuildServer(const model::VirtualServer& vs);

  std::shared_ptr<const model::Config> config_;
  std::map<model::RealServerId, RealState> reals_;
  std::map<model::VirtualServerId, VsState> servers_;
  // The services each virtual server built last, in serviceKeys() order (some may have lost
  // to an earlier virtual server with the same key).
  std::map<model::VirtualServerId, std::vector<ServicePtr>> by_server_;
  std::multimap<model::VirtualServerId, const model::VirtualServer*> by_id_;  // into *config_
  std::shared_ptr<const ServiceTable> table_;
};

// The services a virtual server listens on: one for `IP PORT`, one for `fwmark N`, every address
// of every range (and every fwmark) of its group. Sorted, unique.
std::vector<ServiceKey> serviceKeys(const model::Config& config, const model::VirtualServer& vs);

}  // namespace keel::lb
