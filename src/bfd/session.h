// Session: one BFD session's state machine in asynchronous mode (RFC 5880 §6.2, §6.8), pure —
// time and packets are arguments, decisions are return values; no I/O, no clock, no randomness
// of its own (jitter takes a uniform draw from the caller). SessionRunner (session_runner.h)
// drives it from a base::Clock; the engine moves its packets.
//
// What it implements: the Down/Init/Up/AdminDown machine with its diagnostics; the timer
// negotiation (transmit interval = max(DesiredMinTx, remote RequiredMinRx), detection time =
// remote DetectMult x max(RequiredMinRx, remote DesiredMinTx), §6.8.2, §6.8.4); a DesiredMinTx of
// at least one second (idle_tx) while not Up (§6.8.3); Poll Sequences when the local timers change
// while Up — on going Up and on a reload — with an increased transmit interval or a reduced receive
// interval held back until the Final arrives (§6.8.3); answering a Poll with a Final; the passive
// role (§6.1); jitter of 0-25 % (10-25 % with DetectMult 1, §6.8.7). Not implemented, as in
// keepalived: Demand mode, the Echo function, authentication. One thread (the owner's).
#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "bfd/packet.h"

namespace keel::bfd {

struct SessionParams {
  base::Duration desired_min_tx;   // conf: min_tx, used while Up
  base::Duration required_min_rx;  // conf: min_rx
  base::Duration idle_tx;          // conf: idle_tx, DesiredMinTx while not Up (at least 1 s)
  int detect_mult = 5;             // conf: multiplier
  bool passive = false;            // conf: passive

  friend bool operator==(const SessionParams&, const SessionParams&) = default;
};

struct Transition {
  State from;
  State to;
  Diag diag;  // the local diagnostic after the change
};

class Session {
 public:
  Session(SessionParams params, std::uint32_t local_discriminator);

  struct RxOutcome {
    std::optional<DropReason> dropped;     // discarded (AuthPresent, AdminDown)
    std::optional<Transition> transition;  // the state changed
    bool send_final = false;               // the packet had Poll: answer with Final at once
    bool tx_interval_shrank = false;       // reschedule the next periodic packet
  };
  // A packet already selected for this session (engine.h checks the source, TTL and
  // discriminators): the rest of RFC 5880 §6.8.6.
  RxOutcome receive(const ControlPacket& p, base::TimePoint now);

  // Init or Up: when the detection time runs out without a valid packet; otherwise nullopt.
  std::optional<base::TimePoint> detectDeadline() const;
  // The detection time ran out (REQUIRES: now >= *detectDeadline()): Down, Diag 1, and the
  // remote discriminator forgotten (§6.8.1).
  Transition expire(base::TimePoint now);

  // The periodic interval before jitter; nullopt when nothing may be sent periodically: AdminDown,
  // passive and never heard from, or the remote's RequiredMinRxInterval is 0 (§6.8.7).
  std::optional<base::Duration> txInterval() const;
  // txInterval() less the jitter drawn from `u` in [0, 1).
  std::optional<base::Duration> nextTxDelay(double u) const;
  // The packet to send now; `final` answers a Poll (never together with Poll, §6.5).
  ControlPacket packet(bool final) const;

  // New configured timers (a reload): a Poll Sequence while Up (§6.8.3).
  void setParams(const SessionParams& params);
  // Administratively down (keeld stops): AdminDown, Diag 7. Returns the change, if any.
  std::optional<Transition> adminDown();

  State state() const { return state_; }
  Diag diag() const { return diag_; }
  State remoteState() const { return remote_state_; }
  Diag remoteDiag() const { return remote_diag_; }
  std::uint32_t localDiscriminator() const { return local_discr_; }
  std::uint32_t remoteDiscriminator() const { return remote_discr_; }
  bool polling() const { return poll_; }
  const SessionParams& params() const { return params_; }
  // The current detection time (0 before the first packet) and transmit interval in use.
  base::Duration detectTime() const;
  base::Duration txIntervalInUse() const;
  std::optional<base::TimePoint> lastReceived() const { return last_rx_; }

 private:
  base::Duration advertisedTx() const;
  void retime(base::Duration old_rx);  // after a state or parameter change (§6.8.3)
  void endPoll();
  Transition moveTo(State to, Diag diag);
  std::optional<Transition> runStateMachine();

  SessionParams params_;
  State state_ = State::Down;
  State remote_state_ = State::Down;
  Diag diag_ = Diag::None;
  Diag remote_diag_ = Diag::None;
  std::uint32_t local_discr_;
  std::uint32_t remote_discr_ = 0;
  base::Duration tx_advertised_;  // bfd.DesiredMinTxInterval
  base::Duration tx_in_use_;  // what the transmit interval uses (lags an increase while polling)
  base::Duration rx_in_use_;  // what the detection time uses (lags a decrease while polling)
  base::Duration remote_min_rx_;  // bfd.RemoteMinRxInterval, initially 1 us
  base::Duration remote_desired_tx_{};
  int remote_detect_mult_ = 0;
  bool poll_ = false;
  std::optional<base::TimePoint> last_rx_;
};

}  // namespace keel::bfd
