#include "bfd/session_runner.h"

#include <utility>

namespace keel::bfd {

SessionRunner::SessionRunner(base::Clock& clock, SessionParams params,
                             std::uint32_t local_discriminator, std::uint32_t seed,
                             Callbacks callbacks)
    : clock_(clock),
      session_(params, local_discriminator),
      rng_(seed),
      callbacks_(std::move(callbacks)),
      tx_timer_(clock),
      detect_timer_(clock) {}

void SessionRunner::start() {
  if (session_.txInterval()) transmit(false);
  armTx();
}

void SessionRunner::transmit(bool final) {
  ++sent_;
  if (callbacks_.send) callbacks_.send(session_.packet(final));
}

void SessionRunner::armTx() {
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  const std::optional<base::Duration> delay = session_.nextTxDelay(draw(rng_));
  if (!delay) {
    tx_timer_.disarm();
    return;
  }
  tx_timer_.armAfter(*delay, [this] { onTxTimer(); });
}

void SessionRunner::onTxTimer() {
  transmit(false);
  armTx();
}

void SessionRunner::armDetect() {
  const std::optional<base::TimePoint> deadline = session_.detectDeadline();
  if (!deadline) {
    detect_timer_.disarm();
    return;
  }
  detect_timer_.armAt(*deadline, [this] { onDetectTimer(); });
}

void SessionRunner::onDetectTimer() {
  const base::TimePoint now = clock_.now();
  const base::Duration detect = session_.detectTime();
  const base::Duration since = now - session_.lastReceived().value_or(now);
  const Transition t = session_.expire(now);
  if (callbacks_.on_expired) callbacks_.on_expired(since, detect);
  report(t);
  if (session_.txInterval()) transmit(false);  // tell the neighbour at once
  armTx();                                     // back to the idle interval
}

void SessionRunner::report(const std::optional<Transition>& t) {
  if (t && callbacks_.on_transition) callbacks_.on_transition(*t);
}

std::optional<DropReason> SessionRunner::receive(const ControlPacket& p) {
  const bool was_silent = !session_.txInterval();
  const Session::RxOutcome out = session_.receive(p, clock_.now());
  if (out.dropped) return out.dropped;
  ++received_;
  report(out.transition);
  armDetect();
  // A Final answers a Poll at once (§6.5); a new state is told at once too, rather than after up
  // to a whole idle interval, so the three-way handshake takes round trips, not seconds.
  if (out.send_final || (out.transition && session_.txInterval())) transmit(out.send_final);
  // A shorter interval (going Up) or a first chance to speak (passive) moves the next packet up.
  if (out.tx_interval_shrank || was_silent || out.transition || !tx_timer_.armed()) armTx();
  return std::nullopt;
}

void SessionRunner::setParams(const SessionParams& params) {
  session_.setParams(params);
  armTx();
  armDetect();
}

void SessionRunner::stop() {
  const std::optional<Transition> t = session_.adminDown();
  tx_timer_.disarm();
  detect_timer_.disarm();
  if (t) transmit(false);
  report(t);
}

}  // namespace keel::bfd
