#include "vrrp/notify.h"

#include <fmt/format.h>

namespace keel::vrrp {

std::string_view notifyStateName(NotifyState s) {
  switch (s) {
    case NotifyState::Master:
      return "MASTER";
    case NotifyState::Backup:
      return "BACKUP";
    case NotifyState::Fault:
      return "FAULT";
    case NotifyState::Stop:
      return "STOP";
    case NotifyState::Deleted:
      return "DELETED";
  }
  return "?";
}

std::vector<model::Script> notifyScripts(const model::Notify& notify, const NotifySubject& who,
                                         NotifyState state) {
  std::vector<model::Script> out;
  const model::Script* specific = nullptr;
  switch (state) {
    case NotifyState::Master:
      specific = &notify.master;
      break;
    case NotifyState::Backup:
      specific = &notify.backup;
      break;
    case NotifyState::Fault:
      specific = &notify.fault;
      break;
    case NotifyState::Stop:
      specific = &notify.stop;
      break;
    case NotifyState::Deleted:
      break;
  }
  if (specific != nullptr && !specific->empty()) out.push_back(*specific);
  if (!notify.any.empty()) {
    model::Script generic = notify.any;
    generic.argv.push_back(who.group ? "GROUP" : "INSTANCE");
    generic.argv.push_back(who.name);
    generic.argv.emplace_back(notifyStateName(state));
    generic.argv.push_back(std::to_string(who.group ? 0 : who.priority));
    out.push_back(std::move(generic));
  }
  return out;
}

std::string fifoLine(const NotifySubject& who, NotifyState state) {
  return fmt::format("{} \"{}\" {} {}\n", who.group ? "GROUP" : "INSTANCE", who.name,
                     notifyStateName(state), who.group ? 0 : who.priority);
}

}  // namespace keel::vrrp
