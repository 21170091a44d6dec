#include "check/checker_state.h"

#include <algorithm>
#include <chrono>

namespace keel::check {

CheckerState::CheckerState(const model::CheckTiming& timing)
    : timing_(timing), up_(!timing.alpha), retry_it_(std::max(timing.retry, 0)) {}

base::TimePoint CheckerState::firstRun(base::TimePoint now, double random01) const {
  const base::Duration warmup = timing_.warmup.value_or(timing_.delay_loop);
  const double r = std::clamp(random01, 0.0, 1.0);
  const auto spread = std::chrono::duration_cast<base::Duration>(
      std::chrono::duration<double, base::Duration::period>(static_cast<double>(warmup.count()) *
                                                            r));
  return now + kBootstrapDelay + spread;
}

CheckDecision CheckerState::onResult(bool ok, base::TimePoint now) {
  CheckDecision d;
  d.log_attempt_failure = !ok && up_ && timing_.log_all_failures;
  if (!ok && retry_it_ < timing_.retry) {
    ++retry_it_;
    d.next_run = now + timing_.delay_before_retry;
    return d;
  }
  d.next_run = now + timing_.delay_loop;
  retry_it_ = 0;
  if (ok && (!up_ || !has_run_)) {
    d.log = CheckLog::Success;
    if (!up_) d.transition = true;
    up_ = true;
  } else if (!ok && (up_ || !has_run_)) {
    d.log = timing_.retry > 0 && has_run_ ? CheckLog::FailedAfterRetries : CheckLog::Failed;
    if (up_) d.transition = false;
    up_ = false;
  }
  has_run_ = true;
  return d;
}

}  // namespace keel::check
