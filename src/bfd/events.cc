#include "bfd/events.h"

#include <algorithm>
#include <utility>

namespace keel::bfd {

Events::Subscription::~Subscription() {
  slot_->active = false;  // on the slot's loop thread: events already posted are skipped
  std::lock_guard lock(core_->mu);
  std::erase(core_->slots, slot_);
}

std::unique_ptr<Events::Subscription> Events::subscribe(event::Loop& loop, Callback callback) {
  auto slot = std::make_shared<Slot>(Slot{&loop, std::move(callback), true});
  std::lock_guard lock(core_->mu);
  for (const auto& [name, e] : core_->states) {
    loop.post([slot, e = e] {
      if (slot->active) slot->callback(e);
    });
  }
  core_->slots.push_back(slot);
  return std::make_unique<Subscription>(core_, std::move(slot));
}

void Events::publish(const SessionEvent& e) {
  std::lock_guard lock(core_->mu);
  core_->states[e.name] = e;
  for (const auto& slot : core_->slots) {
    slot->loop->post([slot, e] {
      if (slot->active) slot->callback(e);
    });
  }
}

void Events::forget(const std::string& name) {
  std::lock_guard lock(core_->mu);
  auto it = core_->states.find(name);
  if (it == core_->states.end()) return;
  SessionEvent gone = it->second;
  gone.state = State::AdminDown;
  gone.diag = Diag::AdminDown;
  core_->states.erase(it);
  for (const auto& slot : core_->slots) {
    slot->loop->post([slot, gone] {
      if (slot->active) slot->callback(gone);
    });
  }
}

std::vector<SessionEvent> Events::snapshot() const {
  std::lock_guard lock(core_->mu);
  std::vector<SessionEvent> out;
  for (const auto& [name, e] : core_->states) out.push_back(e);
  return out;
}

}  // namespace keel::bfd
