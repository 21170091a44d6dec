// SessionRunner: drives one Session (session.h) from a base::Clock — the jittered periodic
// transmit timer, the detection timer, the immediate Final — and hands packets to a send callback
// and state changes to a transition callback. It knows nothing of sockets, so two runners joined
// by callbacks on a FakeClock are a whole BFD link in a unit test; the engine (engine.h) joins one
// to a UDP socket. Owned by the engine; the clock's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "base/clock.h"
#include "bfd/session.h"

namespace keel::bfd {

class SessionRunner {
 public:
  using Send = std::function<void(const ControlPacket&)>;
  using OnTransition = std::function<void(const Transition&)>;
  // Called when the detection time ran out: how long after the last valid packet (the clock's
  // view; for logs and the detection-time figures of docs/bfd.md).
  using OnExpired = std::function<void(base::Duration since_last_packet, base::Duration detect)>;

  struct Callbacks {
    Send send;
    OnTransition on_transition;
    OnExpired on_expired;
  };

  SessionRunner(base::Clock& clock, SessionParams params, std::uint32_t local_discriminator,
                std::uint32_t seed, Callbacks callbacks);
  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  // Sends a first packet at once (not passive) and starts the periodic timer.
  void start();
  // A packet selected for this session. Returns why it was discarded, if it was.
  std::optional<DropReason> receive(const ControlPacket& p);
  // New timers from a reload (a Poll Sequence while Up).
  void setParams(const SessionParams& params);
  // AdminDown: one packet says so to the neighbour (RFC 5880 §6.8.16), then nothing more is sent.
  void stop();

  const Session& session() const { return session_; }
  std::uint64_t packetsSent() const { return sent_; }
  std::uint64_t packetsReceived() const { return received_; }

 private:
  void transmit(bool final);
  void onTxTimer();
  void armTx();
  void armDetect();
  void onDetectTimer();
  void report(const std::optional<Transition>& t);

  base::Clock& clock_;
  Session session_;
  std::mt19937 rng_;
  Callbacks callbacks_;
  base::Timer tx_timer_;
  base::Timer detect_timer_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

}  // namespace keel::bfd
