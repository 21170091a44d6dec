// CheckerState: the pure core of one health checker (docs/reference/keepalived.md §3.2): when it
// runs next and when it goes UP or DOWN. No I/O and no clock: time and randomness come in as
// arguments, so it is tested in microseconds. The Checker shell (checker.h) owns one. Plain value;
// loop thread.
//
// keepalived's rules (check_api.c / check_tcp.c, HEAD):
// - The first attempt runs 1 s + random(0..warmup) after start (warmup unset: delay_loop).
// - A success makes the checker UP at once (no rise count); the next attempt is delay_loop later.
// - A failure with retries left (retry_it < retry) retries after delay_before_retry; with none
//   left the checker goes DOWN and waits delay_loop. So DOWN takes retry + 1 failures in a row.
// - At start-up the checker is UP, or DOWN with alpha, and the retry counter starts spent: the
//   first result alone decides the state ("one failure is enough initially").
#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "model/virtual_server.h"

namespace keel::check {

// What to log after an attempt, in keepalived's words (the shell formats the line).
enum class CheckLog {
  None,
  Success,             // "TCP connection to [ip]:tcp:port success."
  Failed,              // "TCP_CHECK on service [ip]:tcp:port failed."
  FailedAfterRetries,  // "TCP_CHECK on service [ip]:tcp:port failed after N retries."
};

struct CheckDecision {
  base::TimePoint next_run;
  std::optional<bool> transition;  // the checker went UP (true) or DOWN (false)
  CheckLog log = CheckLog::None;
  bool log_attempt_failure = false;  // log_all_failures: this failed attempt gets its own line
};

class CheckerState {
 public:
  // Starts as keepalived does at boot: UP unless timing.alpha.
  explicit CheckerState(const model::CheckTiming& timing);

  // When the first attempt runs: `now` + 1 s + warmup * `random01`. REQUIRES: random01 in [0, 1].
  base::TimePoint firstRun(base::TimePoint now, double random01) const;

  // Feeds the result of the attempt that ended at `now`.
  CheckDecision onResult(bool ok, base::TimePoint now);

  // The next attempt while the checker is suspended (ha_suspend): one delay_loop later, state kept.
  base::TimePoint idleRun(base::TimePoint now) const { return now + timing_.delay_loop; }

  bool up() const { return up_; }
  bool hasRun() const { return has_run_; }
  int retriesDone() const { return retry_it_; }
  const model::CheckTiming& timing() const { return timing_; }

  static constexpr base::Duration kBootstrapDelay = std::chrono::seconds(1);

 private:
  model::CheckTiming timing_;
  bool up_;
  bool has_run_ = false;
  int retry_it_;
};

}  // namespace keel::check
