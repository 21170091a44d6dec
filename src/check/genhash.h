// genhash: keepalived's `genhash` (docs/reference/keepalived.md §3.5) as a function — fetch one url
// once, the way the HTTP_GET/SSL_GET checker does, and return the MD5 of its body for a `digest`
// line. Runs its own event loop on the calling thread and blocks it until the fetch ends (at most
// the timeout): for the command line (`keeld --genhash`), never for the daemon's loop.
#pragma once

#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/error.h"

namespace keel::check {

struct GenhashOptions {
  std::string server;  // an IP address or a host name
  std::uint16_t port = 0;
  std::string url = "/";
  bool tls = false;
  std::string virtualhost;  // Host header, and the TLS server name; empty: server:port
  std::string http_protocol = "1.0";
  base::Duration timeout = std::chrono::seconds(5);
};

struct GenhashResult {
  int status = 0;
  std::string digest;  // 32 lowercase hex digits
  std::uint64_t body_bytes = 0;
};

// Errors: InvalidArgument when the server does not resolve; Timeout or Parse naming why the fetch
// failed (connection, TLS, malformed or oversized response).
base::Result<GenhashResult> genhash(const GenhashOptions& options);

}  // namespace keel::check
