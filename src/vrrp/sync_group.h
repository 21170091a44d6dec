// A vrrp_sync_group's coordinator (docs/reference/keepalived.md §2.8): members move together. Pure,
// like the StateMachines it drives: the shell gives each input to its member, performs the actions,
// then calls reconcile(), which applies the group rules and returns the forced members' actions.
//
//   * one member in FAULT (its own fault) puts every member in FAULT; when no member has a fault
//     left, all leave FAULT together (to BACKUP);
//   * one member leaving MASTER for BACKUP (a higher priority advert) sends every MASTER member to
//     BACKUP;
//   * a member goes MASTER only when every member wants MASTER (down timer expired, or already
//     MASTER): until then an expired member waits in BACKUP (prefer BACKUP to thrashing).
//
// Members in INIT (not started or stopped) block the promotion and are otherwise left alone.
// Group notifies: reconcile() reports the group's own transitions; the shell decides which
// instance notifies to suppress. Same thread as the members; not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/state_machine.h"

namespace keel::vrrp {

class SyncGroup {
 public:
  struct MemberActions {
    std::size_t member = 0;  // index into the members given to the constructor
    Actions actions;
  };
  struct Update {
    std::vector<MemberActions> members;  // forced transitions, in member order
    std::optional<Notify> group;         // the group's own state change
  };

  // REQUIRES: the members outlive the group and are not started yet; each is in one group only.
  // Marks them as group members (StateMachine::setInSyncGroup). Call reconcile() once before
  // starting them so that a member fault present at start-up puts all in FAULT directly.
  SyncGroup(std::string name, std::vector<StateMachine*> members);

  // Applies the rules above to the members' current states. Idempotent: a second call with no
  // input in between returns nothing.
  Update reconcile(Micros now);

  // After a reload rebuilt the group around running members: takes their current state as the
  // group's, so no group transition (and no group notify) follows from the rebuild itself.
  void adopt() { state_ = deriveState(); }

  const std::string& name() const { return name_; }
  // FAULT if any member is; else MASTER if any is (they are all MASTER after reconcile, apart
  // from members in INIT); else BACKUP if any is; else INIT.
  State state() const { return state_; }

 private:
  void applyFault(Micros now, Update& out);
  void applyMastership(Micros now, Update& out);
  State deriveState() const;

  std::string name_;
  std::vector<StateMachine*> members_;
  State state_ = State::Init;
};

}  // namespace keel::vrrp
