// EngineThread: the BFD engine on a thread of its own, with its own SteadyClock and event::Loop,
// as keepalived runs BFD in a process of its own: neither VRRP nor checkers share its loop, so
// nothing they do delays a BFD packet or a detection. The owner (app) starts it, subscribes to
// events(), forwards reloads and stops it by destroying it.
//
// Thread-safe: every member may be called from any thread (the owner's, usually).
#pragma once

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "bfd/engine.h"

namespace keel::bfd {

class EngineThread {
 public:
  // Creates the thread, and on it the loop and the engine; returns once the sessions are open
  // and started, or with the engine's error (the thread is gone then). The thread blocks every
  // signal: signals stay with the owner's loop.
  static base::Result<std::unique_ptr<EngineThread>> start(std::vector<model::BfdInstance> config,
                                                           EngineOptions options = {});
  // Sends AdminDown to every neighbour, stops the loop and joins the thread.
  ~EngineThread();
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  Events& events() { return *events_; }
  // Carried out on the BFD thread (Engine::reload); returns at once.
  void reload(std::vector<model::BfdInstance> config);
  // Engine::statsText() from the BFD thread; empty if it does not answer within a second.
  std::string statsText();

 private:
  EngineThread() = default;
  void run(const std::vector<model::BfdInstance>& config, EngineOptions options,
           std::promise<base::Status>& started);

  std::shared_ptr<Events> events_;
  event::Loop* loop_ = nullptr;  // the BFD thread's; valid while the thread runs
  Engine* engine_ = nullptr;     // likewise; touched only on the BFD thread
  std::thread thread_;
};

}  // namespace keel::bfd
