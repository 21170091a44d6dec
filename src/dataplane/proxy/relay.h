// The relay state machine of one proxied TCP connection (docs/dataplane.md, "The proxy data
// plane"): connecting to a real server (with one retry), relaying both ways, half-close (a side's
// EOF becomes shutdown(SHUT_WR) toward the other side once the data still buffered toward it is
// written), and closing on error. Pure: the worker that owns the connection (proxy_worker.h)
// does the I/O and feeds it events; it owns one Relay per connection, on its thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace keel::dataplane::proxy {

enum class Side : std::uint8_t { Client = 0, Real = 1 };

constexpr Side other(Side s) { return s == Side::Client ? Side::Real : Side::Client; }

// What the worker must do after an event, in this order: retry the connect to another real,
// shut the write half toward `shutdown_write`, close the whole connection.
struct RelayAction {
  bool retry = false;
  std::optional<Side> shutdown_write;
  bool close = false;
  friend bool operator==(const RelayAction&, const RelayAction&) = default;
};

class Relay {
 public:
  enum class Phase : std::uint8_t { Connecting, Relaying, Closed };

  // `attempts`: connects tried before giving up (1 + retries).
  explicit Relay(int attempts = 2) : attempts_left_(attempts) {}

  // The connect to the real server completed.
  RelayAction connected();
  // The connect was refused or timed out: retry while attempts are left, else close.
  RelayAction connectFailed();
  // A read on `from` returned 0. `pending` says whether bytes read from `from` still wait to be
  // written toward the other side; then the shutdown waits for drained().
  RelayAction readEof(Side from, bool pending);
  // The buffer toward `to` became empty.
  RelayAction drained(Side to);
  // A read or write on `side` failed (reset, EPIPE, HUP with nothing left), or a timeout fired.
  RelayAction error();

  Phase phase() const { return phase_; }
  // The worker reads from `s` only while this holds.
  bool readable(Side s) const { return phase_ == Phase::Relaying && !eof_[index(s)]; }
  bool eof(Side s) const { return eof_[index(s)]; }
  // ipvsadm's names: "SYN_SENT" while connecting, "ESTABLISHED", "FIN_WAIT" after one EOF,
  // "CLOSE".
  std::string_view stateName() const;
  // ipvsadm's ActiveConn counts established connections; the rest are InActConn.
  bool active() const { return phase_ == Phase::Relaying && !eof_[0] && !eof_[1]; }

 private:
  static int index(Side s) { return static_cast<int>(s); }
  RelayAction closeNow();
  RelayAction shutdownToward(Side to);

  Phase phase_ = Phase::Connecting;
  int attempts_left_;
  bool eof_[2] = {false, false};   // EOF read from this side
  bool shut_[2] = {false, false};  // write half toward this side shut
};

}  // namespace keel::dataplane::proxy
