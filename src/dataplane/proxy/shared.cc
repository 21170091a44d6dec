#include "dataplane/proxy/shared.h"

namespace keel::dataplane::proxy {

std::string_view counterName(Counter c) {
  static constexpr std::array<std::string_view, static_cast<int>(Counter::Count)> kNames = {
      "drop_no_real",      "drop_limit",        "drop_client_limit",
      "drop_fd_exhausted", "drop_udp_sessions", "drop_udp_client_limit",
      "connect_failed",    "connect_timeout",   "connect_retried",
      "idle_timeout",      "real_removed",      "listen_failed"};
  return kNames[static_cast<int>(c)];
}

}  // namespace keel::dataplane::proxy
