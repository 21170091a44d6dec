// Loop: the single-threaded epoll event loop that the control plane (VRRP, checkers, lb, ctl,
// netlink) runs on, and that each proxy worker runs its own copy of.
//
// It multiplexes fd readiness, signals (through a signalfd, so handlers run as ordinary loop
// callbacks) and work posted from other threads; timers come from the base::Clock it is given,
// and it sleeps exactly until the next one. Everything except post() and stop() must be called
// on the loop's thread; callbacks run on it.
//
// Every callback runs behind an exception barrier: an exception that escapes one is caught,
// logged (rate-limited) and counted (stats()), and the loop runs on. std::bad_alloc, or anything
// that is not a std::exception, is fatal: the loop hands the reason to the onFatal() handler (which
// stops the daemon in order, releasing its VIPs) or, without one, stops at once; run() then
// returns an error naming it.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::event {

// What the exception barrier caught; read on the loop thread.
struct LoopStats {
  std::uint64_t callback_exceptions = 0;  // survived: logged, counted, the loop ran on
  std::uint64_t fatal_exceptions = 0;     // bad_alloc or not a std::exception
};

// What the loop holds right now, for a diagnostic dump (keeld's TDUMP signal).
struct LoopSnapshot {
  std::size_t watched_fds = 0;
  std::size_t timers = 0;
  std::optional<base::Duration> next_timer;  // from now; nullopt without timers
  std::size_t signals = 0;
  std::size_t posted = 0;  // work posted and not run yet
  LoopStats stats;
};

class Loop {
 public:
  using IoCallback = std::function<void(std::uint32_t events)>;
  using Callback = std::function<void()>;
  using FatalHandler = std::function<void(const std::string& why)>;

  // Errors: ErrorCode::System when the kernel refuses an epoll, eventfd or signalfd.
  static base::Result<std::unique_ptr<Loop>> create(base::Clock& clock);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  base::Clock& clock() { return clock_; }

  // Calls `cb` with the ready epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, ...) whenever `fd` is
  // ready for `events`. The fd stays owned by the caller, who must unwatch() it before closing.
  // A callback may watch, modify or unwatch any fd, including its own.
  // Errors: State if `fd` is already watched; System if epoll refuses it.
  base::Status watch(int fd, std::uint32_t events, IoCallback cb);
  base::Status modify(int fd, std::uint32_t events);
  void unwatch(int fd);

  // Runs `cb` on the loop when `signo` arrives. The signal is blocked in the calling thread so
  // that only the loop sees it. REQUIRES: called before other threads start (they inherit the
  // signal mask), one handler per signal.
  base::Status onSignal(int signo, Callback cb);

  // Thread-safe. Runs `fn` on the loop thread during a later iteration, in posting order.
  void post(Callback fn);

  // Runs iterations until stop(). Errors: System if epoll_wait fails for a reason other than
  // EINTR; State when a callback ended with a fatal exception (once the loop has stopped).
  base::Status run();
  // Thread-safe. Makes run() return after the current iteration.
  void stop();

  // One iteration: waits for I/O at most until `max_wait` has passed or the next timer is due
  // (no limit when both are absent), then dispatches I/O, signals, posted work and due timers.
  base::Status runOnce(std::optional<base::Duration> max_wait = std::nullopt);

  // Called once, on the loop, with the reason when a callback ends with a fatal exception; it
  // should stop what runs on the loop in order and then call stop(). Without a handler the loop
  // stops at once.
  void onFatal(FatalHandler handler) { on_fatal_ = std::move(handler); }
  const LoopStats& stats() const { return stats_; }
  // Counted again from zero (keeld's STATS_CLEAR).
  void clearStats() { stats_ = {}; }
  LoopSnapshot snapshot();
  // The reason of the first fatal exception; empty while there was none.
  const std::string& fatalReason() const { return fatal_; }

 private:
  struct Watch {
    std::uint32_t generation;
    IoCallback cb;
  };

  explicit Loop(base::Clock& clock);
  base::Status init();
  int waitTimeoutNs(std::optional<base::Duration> max_wait, struct timespec* ts) const;
  void dispatch(const epoll_event& ev);
  void drainPosted();
  void drainSignals();
  void runTimers();
  // Runs `fn` behind the exception barrier; `where` names the kind of callback in log lines.
  template <class Fn>
  void guarded(const char* where, Fn&& fn);
  void fatal(const char* what, const char* where) noexcept;

  base::Clock& clock_;
  base::UniqueFd epoll_fd_;
  base::UniqueFd wake_fd_;    // eventfd: post() and stop() from other threads
  base::UniqueFd signal_fd_;  // created on the first onSignal()
  sigset_t signal_mask_{};
  std::unordered_map<int, Callback> signal_handlers_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;  // by fd
  std::uint32_t next_generation_ = 1;
  bool stopping_ = false;
  LoopStats stats_;
  FatalHandler on_fatal_;
  std::string fatal_;  // the first fatal exception's reason

  std::mutex posted_mu_;
  std::vector<Callback> posted_;  // guarded by posted_mu_
};

}  // namespace keel::event
