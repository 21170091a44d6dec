// Time for the whole control plane: a monotonic now(), a wall clock for log lines, and timers.
//
// Clock is the one OS seam for time (docs/design.md §2: pure cores take time as an argument; shells
// ask a Clock). SteadyClock reads the kernel's clocks; FakeClock moves only when a test calls
// advance(), firing due timers in deadline order, so timer-driven logic is tested in
// microseconds. A Clock and its timers belong to one thread (the event loop's); not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace keel::base {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using WallTime = std::chrono::system_clock::time_point;
using TimerId = std::uint64_t;  // 0 is never a valid id
using TimerCallback = std::function<void()>;

// Timers ordered by (deadline, insertion): equal deadlines fire in the order they were added.
class TimerQueue {
 public:
  TimerId add(TimePoint when, TimerCallback fn);
  // Returns false when `id` is unknown, already fired or already cancelled.
  bool cancel(TimerId id);
  std::optional<TimePoint> nextDeadline() const;
  // Removes the earliest timer and returns its callback if its deadline is <= now.
  std::optional<TimerCallback> popDue(TimePoint now);
  std::size_t size() const { return timers_.size(); }

 private:
  using Key = std::pair<TimePoint, TimerId>;  // ids grow, so they also order equal deadlines
  std::map<Key, TimerCallback> timers_;
  std::unordered_map<TimerId, TimePoint> deadlines_;
  TimerId next_id_ = 1;
};

class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint now() const = 0;
  virtual WallTime wallNow() const = 0;

  // Schedules `fn` to run once at `when` (or on the next runDue() if `when` has passed).
  TimerId runAt(TimePoint when, TimerCallback fn) { return timers_.add(when, std::move(fn)); }
  TimerId runAfter(Duration delay, TimerCallback fn) { return runAt(now() + delay, std::move(fn)); }
  bool cancel(TimerId id) { return timers_.cancel(id); }
  std::optional<TimePoint> nextDeadline() const { return timers_.nextDeadline(); }
  std::size_t pendingTimers() const { return timers_.size(); }

  // Fires, in deadline order, every timer due at now(), including ones that callbacks add with a
  // deadline that has already passed. Returns how many fired.
  std::size_t runDue();

 private:
  TimerQueue timers_;
};

// The kernel's CLOCK_MONOTONIC and CLOCK_REALTIME. Timers fire when the event loop calls runDue().
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
  WallTime wallNow() const override;
};

// Time that moves only by advance(). The wall clock moves in step with now().
class FakeClock final : public Clock {
 public:
  FakeClock();

  TimePoint now() const override { return now_; }
  WallTime wallNow() const override;

  // Moves time forward by `d`, stopping at each timer's deadline in turn so that every callback
  // observes now() equal to its own deadline. Timers that callbacks add inside the window fire
  // too. REQUIRES: d >= 0.
  void advance(Duration d);
  // Moves to `t` the same way. REQUIRES: t >= now().
  void advanceTo(TimePoint t);

 private:
  TimePoint now_;
  TimePoint start_;
  WallTime wall_start_;
};

// Owns at most one pending timer on a Clock and cancels it when destroyed or re-armed, so an
// object's timer never outlives the object. Same thread rules as the Clock.
class Timer {
 public:
  explicit Timer(Clock& clock) : clock_(&clock) {}
  ~Timer() { disarm(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void armAt(TimePoint when, TimerCallback fn);
  void armAfter(Duration delay, TimerCallback fn) { armAt(clock_->now() + delay, std::move(fn)); }
  void disarm();
  bool armed() const { return id_ != 0; }
  std::optional<TimePoint> deadline() const;

 private:
  Clock* clock_;
  TimerId id_ = 0;
  TimePoint deadline_{};
};

}  // namespace keel::base
