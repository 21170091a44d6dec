// Probe: one attempt of one checker against one real server (docs/reference/keepalived.md §3). A
// protocol only writes its probe; the Checker shell (checker.h) owns scheduling, retries and
// up/down state.
//
// A probe runs on the control-plane loop and never blocks it: sockets are non-blocking and
// watched by the loop, scripts are child processes. It reports exactly once through `done`,
// before its deadline (connect_timeout, or misc_timeout for MISC_CHECK) has passed or at it, and
// never from inside start(). Anything a backend sends is untrusted: a probe bounds what it
// reads and turns every misbehaviour into a failed result with a reason. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/address.h"
#include "base/clock.h"
#include "base/unique_fd.h"
#include "event/loop.h"
#include "model/virtual_server.h"

namespace keel::check {

struct ProbeResult {
  bool ok = false;
  std::string reason;         // why it failed, for keepalived-shaped log lines; empty when ok
  std::optional<int> weight;  // MISC_CHECK with misc_dynamic: the new weight; unset otherwise
  // The attempt could not even start: no descriptor (or memory) for its socket. Neither a pass
  // nor a fail: the Checker keeps its state and tries again a delay_loop later.
  bool no_descriptor = false;
};

// Whether `error` says the process ran out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
// ENOMEM): keeld's problem, not the real server's.
bool outOfDescriptors(const base::Error& error);

// Where a probe connects, resolved from the checker's target and its real server.
struct ProbeTarget {
  base::Endpoint endpoint;  // connect_ip/connect_port, else the real server's address and port
  std::optional<base::IpAddress> bindto;
  std::optional<std::uint16_t> bind_port;
  std::string bind_if;
  std::optional<std::uint32_t> fwmark;  // SO_MARK on the probe's socket
  std::string virtualhost;  // HTTP Host and TLS SNI: checker's, else real server's, else VS's
};

ProbeTarget resolveTarget(const model::Checker& checker, const base::Endpoint& real,
                          const std::string& virtualhost);

class Probe {
 public:
  using Done = std::function<void(ProbeResult)>;
  virtual ~Probe() = default;
  // Starts one attempt that must end by `deadline`. REQUIRES: no attempt is running.
  virtual void start(base::TimePoint deadline, Done done) = 0;
  // Abandons the running attempt, if any, without calling `done`.
  virtual void cancel() = 0;
};

// What every socket probe shares: its socket, the attempt's deadline timer and the one report,
// and the ways an attempt ends. A derived probe's start() sets done_, opens fd_ and arms timer_
// at the deadline; its handlers end the attempt with finish().
class SocketProbe : public Probe {
 public:
  ~SocketProbe() override { cancel(); }
  SocketProbe(const SocketProbe&) = delete;
  SocketProbe& operator=(const SocketProbe&) = delete;
  void cancel() override;

 protected:
  explicit SocketProbe(event::Loop& loop) : loop_(loop), timer_(loop.clock()) {}

  // Ends the attempt: disarms the deadline, closes the socket, then reports `result` once.
  void finish(ProbeResult result);
  // Ends the attempt from inside start() with a failure, reported from the loop's next turn;
  // `no_descriptor`: it could not open its socket (ProbeResult::no_descriptor).
  void failSoon(std::string reason, bool no_descriptor = false);
  // Stops watching and closes the socket, if open.
  void close();

  event::Loop& loop_;
  base::UniqueFd fd_;
  base::Timer timer_;
  Done done_;
};

// Opens a non-blocking, close-on-exec socket of `type` (SOCK_STREAM or SOCK_DGRAM) and
// `protocol` (0 for the type's default) for `target`'s family, bound to bindto/bind_port/bind_if
// and marked with fwmark when set, and starts connecting it to the endpoint. A stream socket is
// usually still connecting (EINPROGRESS): wait for EPOLLOUT and read SO_ERROR, see
// connectResult(). Errors: System with the failing call named.
base::Result<base::UniqueFd> openSocket(const ProbeTarget& target, int type, int protocol = 0);
// The outcome of a non-blocking connect once the socket is writable: ok, or System naming errno.
base::Status connectResult(int fd);

}  // namespace keel::check
