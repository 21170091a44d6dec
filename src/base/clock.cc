#include "base/clock.h"

namespace keel::base {

TimerId TimerQueue::add(TimePoint when, TimerCallback fn) {
  TimerId id = next_id_++;
  timers_.emplace(Key{when, id}, std::move(fn));
  deadlines_.emplace(id, when);
  return id;
}

bool TimerQueue::cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  timers_.erase(Key{it->second, id});
  deadlines_.erase(it);
  return true;
}

std::optional<TimePoint> TimerQueue::nextDeadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

std::optional<TimerCallback> TimerQueue::popDue(TimePoint now) {
  if (timers_.empty() || timers_.begin()->first.first > now) return std::nullopt;
  auto node = timers_.extract(timers_.begin());
  deadlines_.erase(node.key().second);
  return std::move(node.mapped());
}

std::size_t Clock::runDue() {
  std::size_t fired = 0;
  while (auto fn = timers_.popDue(now())) {
    (*fn)();
    ++fired;
  }
  return fired;
}

TimePoint SteadyClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

WallTime SteadyClock::wallNow() const { return std::chrono::system_clock::now(); }

// Fake time starts at an arbitrary non-zero point so that "time zero" is never special, and its
// wall clock at a fixed, readable date.
FakeClock::FakeClock()
    : now_(TimePoint{} + std::chrono::hours(1000)),
      start_(now_),
      wall_start_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

WallTime FakeClock::wallNow() const {
  return wall_start_ + std::chrono::duration_cast<WallTime::duration>(now_ - start_);
}

void FakeClock::advance(Duration d) { advanceTo(now_ + d); }

void FakeClock::advanceTo(TimePoint t) {
  while (auto next = nextDeadline()) {
    if (*next > t) break;
    if (*next > now_) now_ = *next;
    runDue();
  }
  if (t > now_) now_ = t;
}

void Timer::armAt(TimePoint when, TimerCallback fn) {
  disarm();
  deadline_ = when;
  id_ = clock_->runAt(when, [this, fn = std::move(fn)] {
    id_ = 0;
    fn();
  });
}

void Timer::disarm() {
  if (id_ != 0) clock_->cancel(id_);
  id_ = 0;
}

std::optional<TimePoint> Timer::deadline() const {
  if (!armed()) return std::nullopt;
  return deadline_;
}

}  // namespace keel::base
