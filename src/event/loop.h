// Loop: the single-threaded epoll event loop that the control plane (VRRP, checkers, lb, ctl,
// netlink) runs on, and that each proxy worker runs its own copy of.
//
// It multiplexes fd readiness, signals (through a signalfd, so handlers run as ordinary loop
// callbacks) and work posted from other threads; timers come from the base::Clock it is given,
// and it sleeps exactly until the next one. Everything except post() and stop() must be called
// on the loop's thread; callbacks run on it.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::event {

class Loop {
 public:
  using IoCallback = std::function<void(std::uint32_t events)>;
  using Callback = std::function<void()>;

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
  // EINTR.
  base::Status run();
  // Thread-safe. Makes run() return after the current iteration.
  void stop();

  // One iteration: waits for I/O at most until `max_wait` has passed or the next timer is due
  // (no limit when both are absent), then dispatches I/O, signals, posted work and due timers.
  base::Status runOnce(std::optional<base::Duration> max_wait = std::nullopt);

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

  base::Clock& clock_;
  base::UniqueFd epoll_fd_;
  base::UniqueFd wake_fd_;    // eventfd: post() and stop() from other threads
  base::UniqueFd signal_fd_;  // created on the first onSignal()
  sigset_t signal_mask_{};
  std::unordered_map<int, Callback> signal_handlers_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;  // by fd
  std::uint32_t next_generation_ = 1;
  bool stopping_ = false;

  std::mutex posted_mu_;
  std::vector<Callback> posted_;  // guarded by posted_mu_
};

}  // namespace keel::event
