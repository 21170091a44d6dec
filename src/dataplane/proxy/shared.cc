#include "dataplane/proxy/shared.h"

namespace keel::dataplane::proxy {

std::string_view counterName(Counter c) {
  static constexpr std::array<std::string_view, static_cast<int>(Counter::Count)> kNames = {
      "drop_no_real",      "drop_limit",     "drop_client_limit", "drop_fd_exhausted",
      "drop_udp_sessions", "connect_failed", "connect_timeout",   "connect_retried",
      "idle_timeout",      "real_removed",   "listen_failed"};
  return kNames[static_cast<int>(c)];
}

bool Shared::acquireClient(const base::IpAddress& client) {
  std::lock_guard lock(mu_);
  std::uint32_t& n = clients_[client];
  if (n >= limits.max_conns_per_client) return false;
  ++n;
  return true;
}

void Shared::releaseClient(const base::IpAddress& client) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (--it->second == 0) clients_.erase(it);
}

}  // namespace keel::dataplane::proxy
