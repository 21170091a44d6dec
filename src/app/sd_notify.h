// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram per state to the
// Unix socket NOTIFY_SOCKET names ('@' starts an abstract name). keeld sends READY=1 once it
// runs, RELOADING=1 then READY=1 around a reload, STOPPING=1 on stop. Without NOTIFY_SOCKET
// every call does nothing. Main thread (the control-plane loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace keel::app {

class SystemdNotifier {
 public:
  // From the environment's NOTIFY_SOCKET.
  static SystemdNotifier fromEnvironment();
  explicit SystemdNotifier(std::optional<std::string> socket) : socket_(std::move(socket)) {}

  bool enabled() const { return socket_.has_value(); }
  // Sends `state` ("READY=1", ...). Errors: InvalidArgument for a socket name that does not fit
  // sockaddr_un; System for socket/sendto.
  base::Status notify(std::string_view state) const;

 private:
  std::optional<std::string> socket_;
};

}  // namespace keel::app
