// Checker: the I/O shell around one CheckerState (docs/reference/keepalived.md §3.2). It owns the
// protocol's Probe and a timer: at each due time it starts an attempt with deadline now + the
// attempt timeout, feeds the result to the pure core and re-arms for the time the core names. The
// CheckManager owns the Checkers and hears every result through `on_result`. ha_suspend pauses
// it: no attempts, state kept, the timer ticks every delay_loop as keepalived's does. An attempt
// that could not open its socket (keeld out of descriptors) is no verdict: counted, logged, state
// kept, tried again a delay_loop later, and `on_result` does not hear of it.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "check/checker_state.h"
#include "check/probe.h"
#include "event/loop.h"
#include "model/virtual_server.h"

namespace keel::check {

// How long one attempt may take: misc_timeout (unset: delay_loop) for MISC_CHECK, else
// connect_timeout.
base::Duration attemptTimeout(const model::Checker& checker);

class Checker {
 public:
  // Called after every attempt with the core's decision and the probe's result.
  using OnResult = std::function<void(const CheckDecision&, const ProbeResult&)>;

  // REQUIRES: probe != nullptr; `loop` outlives the Checker.
  Checker(event::Loop& loop, const model::Checker& config, std::unique_ptr<Probe> probe,
          OnResult on_result);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  // Arms the first attempt (1 s + warmup * random01 from now). REQUIRES: random01 in [0, 1].
  void start(double random01);
  // Abandons a running attempt; later ticks run no attempt until resume().
  void pause();
  void resume();
  bool paused() const { return paused_; }

  bool up() const { return state_.up(); }
  bool running() const { return running_; }
  const CheckerState& state() const { return state_; }
  // Why the last attempt failed; empty after a success.
  const std::string& lastReason() const { return last_reason_; }
  // How long the last finished attempt took (start to result); nullopt before the first.
  std::optional<base::Duration> lastDuration() const { return last_duration_; }
  // Attempts that could not open a socket (ProbeResult::no_descriptor): no verdict, state kept.
  std::uint64_t noDescriptor() const { return no_descriptor_; }

  // A probe that misses its deadline by this much is abandoned and counted as failed.
  static constexpr base::Duration kDeadlineGrace = std::chrono::seconds(3);

 private:
  void tick();
  void finish(std::uint64_t attempt, const ProbeResult& result);
  void reschedule(base::TimePoint now, const std::string& reason);

  event::Loop& loop_;
  CheckerState state_;
  base::Duration timeout_;
  std::unique_ptr<Probe> probe_;
  OnResult on_result_;
  base::Timer timer_;
  std::uint64_t attempt_ = 0;  // identifies the running attempt; stale reports are ignored
  bool running_ = false;
  bool paused_ = false;
  std::string last_reason_;
  base::TimePoint started_{};  // of the running attempt
  std::optional<base::Duration> last_duration_;
  std::uint64_t no_descriptor_ = 0;
};

}  // namespace keel::check
