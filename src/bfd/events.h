// Events: who hears of BFD session changes — VRRP's track_bfd and the checkers' BFD_CHECK
// (keepalived's bfd_event.c pipes, as in-process messages). The BFD engine publishes on its own
// thread; each subscriber names the event::Loop it runs on and its callback runs there, posted,
// so no subscriber ever runs on the BFD thread or blocks it. A new subscriber first gets the
// current state of every session, then every change, in order.
//
// Thread-safe: subscribe() and publish() from any thread. A Subscription must be destroyed on its
// loop's thread and before that loop; after that its callback never runs again, even for events
// already posted.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bfd/packet.h"
#include "event/loop.h"

namespace keel::bfd {

struct SessionEvent {
  std::string name;  // the bfd_instance
  State state = State::Down;
  Diag diag = Diag::None;      // the local diagnostic
  bool notify_vrrp = true;     // conf: `vrrp` / `checker` in the bfd_instance (keepalived restricts
  bool notify_checker = true;  // which process hears it; subscribers filter on these)

  bool up() const { return state == State::Up; }
  friend bool operator==(const SessionEvent&, const SessionEvent&) = default;
};

class Events {
 public:
  using Callback = std::function<void(const SessionEvent&)>;

 private:
  struct Slot {
    event::Loop* loop;
    Callback callback;
    bool active = true;  // only read and written on `loop`'s thread
  };
  struct Core {
    std::mutex mu;
    std::map<std::string, SessionEvent> states;  // guarded by mu
    std::vector<std::shared_ptr<Slot>> slots;    // guarded by mu
  };

 public:
  class Subscription {
   public:
    Subscription(std::shared_ptr<Core> core, std::shared_ptr<Slot> slot)
        : core_(std::move(core)), slot_(std::move(slot)) {}
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    std::shared_ptr<Core> core_;  // shared: a Subscription may outlive the Events
    std::shared_ptr<Slot> slot_;
  };

  Events() : core_(std::make_shared<Core>()) {}

  [[nodiscard]] std::unique_ptr<Subscription> subscribe(event::Loop& loop, Callback callback);
  // Records `e` as the session's state and posts it to every subscriber.
  void publish(const SessionEvent& e);
  // A session that is gone (a reload removed it): subscribers hear it is AdminDown, and new ones
  // do not hear of it.
  void forget(const std::string& name);
  std::vector<SessionEvent> snapshot() const;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace keel::bfd
