// What a VRRP transition runs and writes (docs/reference/keepalived.md §2.11-2.12): the state's own
// notify script as configured, then the generic `notify` with keepalived's four arguments appended,
// and the notify FIFO line. The state entered is a vrrp::State; entering Init is keepalived's STOP.
// Pure: the I/O shell runs the scripts as child processes and writes the line. Any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/vrrp.h"
#include "vrrp/state_machine.h"

namespace keel::vrrp {

// "MASTER", "BACKUP", "FAULT", and "STOP" for Init.
std::string_view notifyStateName(State s);

struct NotifySubject {
  bool group = false;  // a vrrp_sync_group rather than an instance
  std::string name;
  int priority = 0;  // the effective priority; 0 for groups
};

// The scripts to run, in order: notify_master/backup/fault/stop for the state entered, then
// `notify` with INSTANCE|GROUP, the name, the state and the priority appended.
std::vector<model::Script> notifyScripts(const model::Notify& notify, const NotifySubject& who,
                                         State entered);

// `INSTANCE "VI_1" MASTER 100\n` / `GROUP "VG_1" BACKUP 0\n`.
std::string fifoLine(const NotifySubject& who, State entered);

}  // namespace keel::vrrp
