// EngineThread: the BFD engine on a thread of its own, with its own SteadyClock and event::Loop,
// as keepalived runs BFD in a process of its own: neither VRRP nor checkers share its loop, so
// nothing they do delays a BFD packet or a detection. The owner (app) starts it, subscribes to
// events(), forwards reloads and stops it by destroying it. A fatal exception on the BFD loop
// (event/loop.h) sends AdminDown to every neighbour, ends the thread and reaches the owner's loop
// as on_fatal.
//
// Thread-safe: every member may be called from any thread (the owner's, usually).
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "bfd/engine.h"

namespace keel::bfd {

// keepalived's settings for its BFD process, applied to the BFD thread, and who hears of a fatal
// error on it.
struct ThreadOptions {
  EngineOptions engine;           // rt_priority: bfd_rt_priority (SCHED_RR)
  std::vector<int> cpu_affinity;  // bfd_cpu_affinity: the CPUs the thread may run on; empty: any
  bool no_swap = false;           // bfd_no_swap: mlockall(MCL_CURRENT | MCL_FUTURE), per process
  // On `owner`, once, when a callback on the BFD loop ended with a fatal exception: the sessions
  // said AdminDown and the thread ended.
  event::Loop* owner = nullptr;
  std::function<void(const std::string& why)> on_fatal;
};

class EngineThread {
 public:
  // Creates the thread, and on it the engine; returns once the sessions are open and started, or
  // with the engine's error (the thread is gone then). The thread blocks every signal: signals
  // stay with the owner's loop.
  static base::Result<std::unique_ptr<EngineThread>> start(std::vector<model::BfdInstance> config,
                                                           ThreadOptions options = {});
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
  void run(const std::vector<model::BfdInstance>& config, ThreadOptions options,
           std::promise<base::Status>& started);
  void onFatal(const std::string& why);

  std::shared_ptr<Events> events_;
  // The loop and its clock stay until the thread is joined, so that work posted after the thread
  // ended is dropped, never run on freed memory.
  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  Engine* engine_ = nullptr;  // touched only on the BFD thread; null once it ended
  std::atomic<bool> ended_{false};
  event::Loop* owner_ = nullptr;
  std::function<void(const std::string& why)> on_fatal_;
  std::thread thread_;
};

}  // namespace keel::bfd
