#include "vrrp/notify.h"

#include <fmt/format.h>

namespace keel::vrrp {

std::string_view notifyStateName(State s) {
  switch (s) {
    case State::Master:
      return "MASTER";
    case State::Backup:
      return "BACKUP";
    case State::Fault:
      return "FAULT";
    case State::Init:
      break;
  }
  return "STOP";
}

std::vector<model::Script> notifyScripts(const model::Notify& notify, const NotifySubject& who,
                                         State entered) {
  std::vector<model::Script> out;
  const model::Script* specific = &notify.stop;
  switch (entered) {
    case State::Master:
      specific = &notify.master;
      break;
    case State::Backup:
      specific = &notify.backup;
      break;
    case State::Fault:
      specific = &notify.fault;
      break;
    case State::Init:
      break;
  }
  if (!specific->empty()) out.push_back(*specific);
  if (!notify.any.empty()) {
    model::Script generic = notify.any;
    generic.argv.push_back(who.group ? "GROUP" : "INSTANCE");
    generic.argv.push_back(who.name);
    generic.argv.emplace_back(notifyStateName(entered));
    generic.argv.push_back(std::to_string(who.group ? 0 : who.priority));
    out.push_back(std::move(generic));
  }
  return out;
}

std::string fifoLine(const NotifySubject& who, State entered) {
  return fmt::format("{} \"{}\" {} {}\n", who.group ? "GROUP" : "INSTANCE", who.name,
                     notifyStateName(entered), who.group ? 0 : who.priority);
}

}  // namespace keel::vrrp
