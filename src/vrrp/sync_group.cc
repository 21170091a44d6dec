#include "vrrp/sync_group.h"

#include <algorithm>
#include <utility>

namespace keel::vrrp {

SyncGroup::SyncGroup(std::string name, std::vector<StateMachine*> members)
    : name_(std::move(name)), members_(std::move(members)) {
  for (StateMachine* m : members_) m->setInSyncGroup(true);
}

void SyncGroup::applyFault(Micros now, Update& out) {
  const bool fault = std::any_of(members_.begin(), members_.end(),
                                 [](const StateMachine* m) { return m->ownFault(); });
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Actions actions = members_[i]->setGroupFault(fault, now);
    if (!actions.empty()) out.members.push_back({i, std::move(actions)});
  }
}

void SyncGroup::applyMastership(Micros now, Update& out) {
  bool all_want = true;
  bool any_master = false;
  bool any_plain_backup = false;  // BACKUP and not waiting to become MASTER
  for (const StateMachine* m : members_) {
    all_want = all_want && m->wantsMaster();
    any_master = any_master || m->state() == State::Master;
    any_plain_backup = any_plain_backup || (m->state() == State::Backup && !m->wantsMaster());
  }
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Actions actions;
    if (all_want) {
      actions = members_[i]->promoteToMaster(now);
    } else if (any_master && any_plain_backup) {
      actions = members_[i]->forceBackup(now);
    }
    if (!actions.empty()) out.members.push_back({i, std::move(actions)});
  }
}

State SyncGroup::deriveState() const {
  auto any = [this](State s) {
    return std::any_of(members_.begin(), members_.end(),
                       [s](const StateMachine* m) { return m->state() == s; });
  };
  if (any(State::Fault)) return State::Fault;
  if (any(State::Master)) return State::Master;
  if (any(State::Backup)) return State::Backup;
  return State::Init;
}

SyncGroup::Update SyncGroup::reconcile(Micros now) {
  Update out;
  applyFault(now, out);
  applyMastership(now, out);
  const State next = deriveState();
  if (next != state_) {
    out.group = Notify{state_, next};
    state_ = next;
  }
  return out;
}

}  // namespace keel::vrrp
