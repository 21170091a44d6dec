#include "bfd/session.h"

#include <algorithm>
#include <chrono>

namespace keel::bfd {

namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

}  // namespace

Session::Session(SessionParams params, std::uint32_t local_discriminator)
    : params_(params),
      local_discr_(local_discriminator),
      tx_advertised_(advertisedTx()),
      tx_in_use_(tx_advertised_),
      rx_in_use_(params.required_min_rx),
      remote_min_rx_(microseconds(1)) {}

base::Duration Session::advertisedTx() const {
  if (state_ == State::Up) return params_.desired_min_tx;
  return std::max<base::Duration>(params_.idle_tx, seconds(1));
}

// §6.8.3: a change of DesiredMinTx or RequiredMinRx while Up starts a Poll Sequence; until it
// ends, a larger transmit interval and a smaller receive interval are not used yet. Not Up, the
// new values apply at once.
void Session::retime(base::Duration old_rx) {
  const base::Duration tx = advertisedTx();
  const base::Duration rx = params_.required_min_rx;
  const bool changed = tx != tx_advertised_ || rx != old_rx;
  tx_advertised_ = tx;
  if (state_ != State::Up) {
    tx_in_use_ = tx;
    rx_in_use_ = rx;
    poll_ = false;
    return;
  }
  if (!changed) return;
  poll_ = true;
  tx_in_use_ = std::min(tx_in_use_, tx);
  rx_in_use_ = std::max(rx_in_use_, rx);
}

void Session::endPoll() {
  poll_ = false;
  tx_in_use_ = tx_advertised_;
  rx_in_use_ = params_.required_min_rx;
}

Transition Session::moveTo(State to, Diag diag) {
  const Transition t{state_, to, diag};
  state_ = to;
  diag_ = diag;
  retime(params_.required_min_rx);
  return t;
}

// §6.8.6, the last bullets: the state machine of §6.2.
std::optional<Transition> Session::runStateMachine() {
  if (remote_state_ == State::AdminDown) {
    if (state_ != State::Down) return moveTo(State::Down, Diag::NeighborDown);
    return std::nullopt;
  }
  switch (state_) {
    case State::Down:
      if (remote_state_ == State::Down) return moveTo(State::Init, Diag::None);
      if (remote_state_ == State::Init) return moveTo(State::Up, Diag::None);
      break;
    case State::Init:
      if (remote_state_ == State::Init || remote_state_ == State::Up) {
        return moveTo(State::Up, Diag::None);
      }
      break;
    case State::Up:
      if (remote_state_ == State::Down) return moveTo(State::Down, Diag::NeighborDown);
      break;
    case State::AdminDown:
      break;
  }
  return std::nullopt;
}

Session::RxOutcome Session::receive(const ControlPacket& p, base::TimePoint now) {
  RxOutcome out;
  if (p.auth) {
    out.dropped = DropReason::AuthPresent;
    return out;
  }
  const base::Duration old_interval = txInterval().value_or(base::Duration::max());
  remote_discr_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_diag_ = p.diag;
  remote_min_rx_ = fromWire(p.required_min_rx_us);
  remote_desired_tx_ = fromWire(p.desired_min_tx_us);
  remote_detect_mult_ = p.detect_mult;
  if (p.final && poll_) endPoll();
  if (state_ == State::AdminDown) {
    out.dropped = DropReason::AdminDown;
    return out;
  }
  out.transition = runStateMachine();
  last_rx_ = now;
  out.send_final = p.poll;
  out.tx_interval_shrank = txInterval().value_or(base::Duration::max()) < old_interval;
  return out;
}

std::optional<base::TimePoint> Session::detectDeadline() const {
  if ((state_ != State::Init && state_ != State::Up) || !last_rx_ || remote_detect_mult_ == 0) {
    return std::nullopt;
  }
  return *last_rx_ + detectTime();
}

Transition Session::expire(base::TimePoint /*now*/) {
  remote_discr_ = 0;
  remote_state_ = State::Down;
  return moveTo(State::Down, Diag::DetectExpired);
}

base::Duration Session::detectTime() const {
  return remote_detect_mult_ * std::max(rx_in_use_, remote_desired_tx_);
}

base::Duration Session::txIntervalInUse() const { return std::max(tx_in_use_, remote_min_rx_); }

std::optional<base::Duration> Session::txInterval() const {
  if (state_ == State::AdminDown) return std::nullopt;
  if (params_.passive && remote_discr_ == 0) return std::nullopt;
  if (remote_min_rx_ == base::Duration::zero()) return std::nullopt;
  return txIntervalInUse();
}

std::optional<base::Duration> Session::nextTxDelay(double u) const {
  const std::optional<base::Duration> interval = txInterval();
  if (!interval) return std::nullopt;
  const double low = params_.detect_mult == 1 ? 0.10 : 0.0;
  const double jitter = low + std::clamp(u, 0.0, 1.0) * (0.25 - low);
  return std::chrono::duration_cast<base::Duration>(*interval * (1.0 - jitter));
}

ControlPacket Session::packet(bool final) const {
  ControlPacket p;
  p.diag = diag_;
  p.state = state_;
  p.final = final;
  p.poll = poll_ && !final;
  p.detect_mult = static_cast<std::uint8_t>(params_.detect_mult);
  p.my_discriminator = local_discr_;
  p.your_discriminator = remote_discr_;
  p.desired_min_tx_us = toWire(tx_advertised_);
  p.required_min_rx_us = toWire(params_.required_min_rx);
  return p;
}

void Session::setParams(const SessionParams& params) {
  const base::Duration old_rx = params_.required_min_rx;
  params_ = params;
  retime(old_rx);
}

std::optional<Transition> Session::adminDown() {
  if (state_ == State::AdminDown) return std::nullopt;
  return moveTo(State::AdminDown, Diag::AdminDown);
}

}  // namespace keel::bfd
