// What a VRRP transition runs and writes (docs/reference/keepalived.md §2.11-2.12): the state's own
// notify script as configured, then the generic `notify` with keepalived's four arguments appended,
// and the notify FIFO line. Pure: the I/O shell runs the scripts as child processes and writes the
// line. Any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/vrrp.h"

namespace keel::vrrp {

enum class NotifyState { Master, Backup, Fault, Stop, Deleted };

std::string_view notifyStateName(NotifyState s);  // "MASTER", "BACKUP", ...

struct NotifySubject {
  bool group = false;  // a vrrp_sync_group rather than an instance
  std::string name;
  int priority = 0;  // the effective priority; 0 for groups
};

// The scripts to run, in order: notify_master/backup/fault/stop for the state (none for
// Deleted), then `notify` with INSTANCE|GROUP, the name, the state and the priority appended.
std::vector<model::Script> notifyScripts(const model::Notify& notify, const NotifySubject& who,
                                         NotifyState state);

// `INSTANCE "VI_1" MASTER 100\n` / `GROUP "VG_1" BACKUP 0\n`.
std::string fifoLine(const NotifySubject& who, NotifyState state);

}  // namespace keel::vrrp
