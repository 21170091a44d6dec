// EngineThread: the VRRP engine on a thread of its own, with its own event::Loop and clock, so
// that adverts, timers and state changes never wait on checkers, configuration parsing, the
// control socket, the data plane or anything else the main loop does (docs/design.md §3). The
// thread blocks every signal (the main loop owns them through its signalfd) and takes
// keepalived's vrrp_rt_priority (SCHED_RR), vrrp_cpu_affinity, vrrp_no_swap and
// vrrp_rlimit_rttime where the configuration gives them.
//
// Crossing threads: reload(), setBfdState() and stop() post to the VRRP loop. After each change the
// VRRP thread publishes an immutable status snapshot into a box readers take it from (status(), any
// thread) and wakes the main loop through an eventfd; there the VIPs MASTER instances hold go to
// on_masters. A fatal exception on the VRRP loop (event/loop.h) stops the engine in order there
// and reaches the main loop the same way, as on_fatal. The VRRP thread only ever try-locks the box:
// a reader that holds it (even one preempted there) delays the snapshot by a retry, never an
// advert; no lock is held across I/O. Created, reloaded, stopped and destroyed on the main loop's
// thread; status() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "event/loop.h"
#include "model/config.h"
#include "vrrp/engine.h"
#include "vrrp/status.h"

namespace keel::vrrp {

// keepalived's real-time settings for its VRRP process, applied to the VRRP thread
// (docs/reference/keepalived.md §1.6). RLIMIT_RTTIME and mlockall are per process in Linux.
//
// Unlike keepalived, keel runs its VRRP thread SCHED_RR by default (priority 1, the lowest
// real-time one): with every CPU busy, normal scheduling delayed adverts by tens of
// milliseconds, real-time by well under one (docs/vrrp.md "Scheduling", bench/vrrp_jitter.py).
// `vrrp_rt_priority 0` keeps normal scheduling. The policy has SCHED_RESET_ON_FORK: scripts the
// thread starts run with normal scheduling.
struct ThreadSettings {
  static constexpr int kDefaultRtPriority = 1;
  static constexpr std::uint64_t kDefaultRtTime = 10'000;  // µs, keepalived's

  int rt_priority = kDefaultRtPriority;  // SCHED_RR 1..99; 0: normal scheduling
  std::vector<int> cpu_affinity;         // CPUs the thread may run on; empty: any
  bool no_swap = false;                  // mlockall(MCL_CURRENT | MCL_FUTURE)
  // µs of CPU the thread may use without blocking before SIGXCPU (the process's RLIMIT_RTTIME).
  // Set as keepalived sets it: when the configuration gives vrrp_rlimit_rttime, or gives
  // vrrp_rt_priority (then 10000); keel's default real-time priority sets none.
  std::optional<std::uint64_t> rlimit_rttime;

  static ThreadSettings from(const model::GlobalDefs& globals);
};

class EngineThread {
 public:
  // How long stop() lets notify scripts that the stop started (notify_stop, the MASTER -> STOP
  // notify) run before their process groups are killed: keepalived's one second.
  static constexpr base::Duration kStopGrace = std::chrono::seconds(1);

  struct Options {
    EngineOptions engine;  // on_change is the thread's own
    ThreadSettings settings;
    event::Loop* main = nullptr;
    // On `main`, after each published change: the VIPs MASTER instances hold now.
    std::function<void(std::set<base::IpAddress>)> on_masters;
    // On `main`, once, when a callback on the VRRP loop ended with a fatal exception
    // (event/loop.h): the engine is stopping in order as on stop() (VIPs released, then the
    // notify scripts' grace) and the thread then ends; keeld should stop too.
    std::function<void(const std::string& why)> on_fatal;
    // track_bfd: the BFD sessions' states when VRRP starts after BFD (Engine::setBfdState before
    // Engine::start), so that an instance tracking an Up session does not start in FAULT.
    std::map<std::string, bool> bfd_states;
  };

  // Starts the thread, creates the engine on it and starts it. Errors: Engine::create's.
  static base::Result<std::unique_ptr<EngineThread>> start(
      std::shared_ptr<const model::Config> config, Options options);
  ~EngineThread();  // stop() if still running
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  // Hands the engine a new configuration (Engine::reload, on the VRRP thread). Refused
  // configurations are logged there; check them first with vrrp::checkConfig.
  void reload(std::shared_ptr<const model::Config> config);

  // A BFD session is Up or not (Engine::setBfdState, on the VRRP thread); returns at once.
  void setBfdState(std::string session, bool up);

  // Engine::stop() on the VRRP thread, then up to kStopGrace for the scripts it started, then
  // their groups are killed and the thread ends. Waits at most kStopGrace + `margin`; false when
  // the thread did not end in time: it is detached, and the caller must then leave this object
  // to the process exit (the thread still uses it).
  bool stop(base::Duration margin = std::chrono::seconds(2));

  // The latest published status. Never null once start() returned. Any thread.
  std::shared_ptr<const EngineStatus> status() const;

 private:
  explicit EngineThread(Options options) : options_(std::move(options)) {}
  void run(std::shared_ptr<const model::Config> config, std::promise<base::Status> started);
  void publish();
  void flush();
  void onPublished();
  void onFatal(const std::string& why);
  void stopOnLoop();
  void waitForScripts(base::TimePoint deadline);

  Options options_;
  std::thread thread_;
  std::promise<void> ended_;
  std::future<void> ended_future_ = ended_.get_future();
  mutable std::mutex box_mu_;
  std::shared_ptr<const EngineStatus> box_;      // guarded by box_mu_
  std::shared_ptr<const EngineStatus> pending_;  // the VRRP thread's, not in the box yet
  std::unique_ptr<base::Timer> retry_timer_;     // the VRRP thread's
  base::UniqueFd wake_;                          // eventfd: written after each publication
  std::atomic<bool> fatal_{false};               // set on the VRRP thread, after fatal_reason_
  std::string fatal_reason_;           // written by the VRRP thread before fatal_; read after it
  bool fatal_reported_ = false;        // main thread
  base::SteadyClock clock_;            // the VRRP loop's: used on the VRRP thread only
  std::unique_ptr<event::Loop> loop_;  // run on the VRRP thread; post() from any
  Engine* engine_ = nullptr;           // the VRRP thread only; null once it ended
  std::unique_ptr<base::Timer> grace_timer_;
  bool stopped_ = false;  // main thread
};

// Applies `settings` to the calling thread (and the process, for mlockall and RLIMIT_RTTIME);
// each failure is logged and the rest still applied.
void applyThreadSettings(const ThreadSettings& settings);

}  // namespace keel::vrrp
