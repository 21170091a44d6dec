#include "dataplane/proxy/relay.h"

namespace keel::dataplane::proxy {

RelayAction Relay::closeNow() {
  phase_ = Phase::Closed;
  return {.close = true};
}

RelayAction Relay::connected() {
  if (phase_ != Phase::Connecting) return {};
  phase_ = Phase::Relaying;
  return {};
}

RelayAction Relay::connectFailed() {
  if (phase_ != Phase::Connecting) return {};
  if (--attempts_left_ > 0) return {.retry = true};
  return closeNow();
}

RelayAction Relay::shutdownToward(Side to) {
  RelayAction a;
  if (!shut_[index(to)]) {
    shut_[index(to)] = true;
    a.shutdown_write = to;
  }
  // Both sides said EOF and both write halves are shut: nothing is left to relay.
  if (shut_[0] && shut_[1]) {
    phase_ = Phase::Closed;
    a.close = true;
  }
  return a;
}

RelayAction Relay::readEof(Side from, bool pending) {
  if (phase_ != Phase::Relaying) return {};
  eof_[index(from)] = true;
  if (pending) return {};
  return shutdownToward(other(from));
}

RelayAction Relay::drained(Side to) {
  if (phase_ != Phase::Relaying) return {};
  // Everything `other(to)` sent has been written toward `to`; pass its EOF on.
  if (!eof_[index(other(to))] || shut_[index(to)]) return {};
  return shutdownToward(to);
}

RelayAction Relay::error() {
  if (phase_ == Phase::Closed) return {};
  return closeNow();
}

std::string_view Relay::stateName() const {
  switch (phase_) {
    case Phase::Connecting:
      return "SYN_SENT";
    case Phase::Relaying:
      return eof_[0] || eof_[1] ? "FIN_WAIT" : "ESTABLISHED";
    case Phase::Closed:
      break;
  }
  return "CLOSE";
}

}  // namespace keel::dataplane::proxy
