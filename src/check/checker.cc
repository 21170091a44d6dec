#include "check/checker.h"

#include <utility>

#include "base/log.h"

namespace keel::check {

base::Duration attemptTimeout(const model::Checker& checker) {
  if (const auto* misc = std::get_if<model::MiscCheck>(&checker.kind)) {
    return misc->timeout.value_or(checker.timing.delay_loop);
  }
  return checker.timing.connect_timeout;
}

Checker::Checker(event::Loop& loop, const model::Checker& config, std::unique_ptr<Probe> probe,
                 OnResult on_result)
    : loop_(loop),
      state_(config.timing),
      timeout_(attemptTimeout(config)),
      probe_(std::move(probe)),
      on_result_(std::move(on_result)),
      timer_(loop.clock()) {}

Checker::~Checker() {
  if (running_) probe_->cancel();
}

void Checker::start(double random01) {
  timer_.armAt(state_.firstRun(loop_.clock().now(), random01), [this] { tick(); });
}

void Checker::pause() {
  if (paused_) return;
  paused_ = true;
  if (running_) {
    probe_->cancel();
    running_ = false;
    ++attempt_;
    timer_.armAt(state_.idleRun(loop_.clock().now()), [this] { tick(); });
  }
}

void Checker::resume() { paused_ = false; }

void Checker::tick() {
  const base::TimePoint now = loop_.clock().now();
  if (paused_) {
    timer_.armAt(state_.idleRun(now), [this] { tick(); });
    return;
  }
  const std::uint64_t attempt = ++attempt_;
  running_ = true;
  started_ = now;
  const base::TimePoint deadline = now + timeout_;
  // The guard fires only if the probe breaks its contract and never reports.
  timer_.armAt(deadline + kDeadlineGrace, [this, attempt] {
    probe_->cancel();
    finish(attempt, ProbeResult{false, "no result before the deadline", std::nullopt});
  });
  probe_->start(deadline, [this, attempt](const ProbeResult& result) { finish(attempt, result); });
}

void Checker::finish(std::uint64_t attempt, const ProbeResult& result) {
  if (attempt != attempt_ || !running_) return;
  running_ = false;
  const base::TimePoint now = loop_.clock().now();
  if (result.no_descriptor) return reschedule(now, result.reason);
  last_duration_ = now - started_;
  const CheckDecision decision = state_.onResult(result.ok, now);
  last_reason_ = result.ok ? std::string() : result.reason;
  timer_.armAt(decision.next_run, [this] { tick(); });
  on_result_(decision, result);
}

// keeld could not open the attempt's socket: that says nothing about the real server, so the
// state stays and the next attempt comes a delay_loop later, as keepalived reschedules a check
// whose socket() failed ("TCP connect fail to create socket. Rescheduling.").
void Checker::reschedule(base::TimePoint now, const std::string& reason) {
  ++no_descriptor_;
  base::logLimited("check-no-descriptor", base::LogLevel::Warning,
                   "A checker could not open its socket ({}); state kept, rescheduled", reason);
  timer_.armAt(state_.idleRun(now), [this] { tick(); });
}

}  // namespace keel::check
