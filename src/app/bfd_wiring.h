// keeld's BFD: the engine on its own thread (bfd/engine_thread.h) when the configuration has
// bfd_instance blocks and -B is not given, and its sessions' states for VRRP's track_bfd. Session
// events arrive on the main loop (bfd/events.h) and go to `on_session`; a BFD thread that ends
// with a fatal exception reaches `on_fatal` there. The Daemon owns it. Main loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bfd/engine_thread.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::app {

class BfdWiring {
 public:
  using OnSession = std::function<void(const bfd::SessionEvent&)>;
  using OnFatal = std::function<void(const std::string& why)>;

  BfdWiring(event::Loop& loop, OnSession on_session, OnFatal on_fatal)
      : loop_(loop), on_session_(std::move(on_session)), on_fatal_(std::move(on_fatal)) {}

  // Starts the BFD thread, or hands the running one `config`'s sessions (a reload). Nothing when
  // the configuration has no bfd_instance; a failure to start is logged.
  void apply(const model::Config& config);
  // Every session stops (AdminDown to each neighbour) and the thread is joined.
  void stop();
  bool running() const { return thread_ != nullptr; }

  // The sessions VRRP hears of (a bfd_instance without `checker`-only) and whether each is Up:
  // what VRRP starts with when it starts after BFD.
  std::map<std::string, bool> vrrpStates() const;
  // The same for the checkers' BFD_CHECK (a bfd_instance without `vrrp`-only).
  std::map<std::string, bool> checkerStates() const;
  // The stats dump's BFD part; empty while BFD is not running.
  std::string statsText();

 private:
  event::Loop& loop_;
  OnSession on_session_;
  OnFatal on_fatal_;
  std::unique_ptr<bfd::EngineThread> thread_;
  std::unique_ptr<bfd::Events::Subscription> subscription_;  // destroyed before thread_
};

}  // namespace keel::app
