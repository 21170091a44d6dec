#include "check/genhash.h"

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <optional>

#include "check/http_fetch.h"
#include "event/loop.h"

namespace keel::check {

namespace {

base::Result<base::IpAddress> resolve(const std::string& server) {
  if (auto ip = base::IpAddress::parse(server)) return *ip;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(server.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return base::makeError(base::ErrorCode::InvalidArgument, "cannot resolve " + server);
  }
  auto endpoint = base::Endpoint::fromSockaddr(found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (!endpoint) return endpoint.error();
  return endpoint->address();
}

}  // namespace

base::Result<GenhashResult> genhash(const GenhashOptions& options) {
  auto ip = resolve(options.server);
  if (!ip) return ip.error();
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) return loop.error();

  FetchRequest request;
  request.target.endpoint = base::Endpoint(*ip, options.port);
  request.target.virtualhost = options.virtualhost;
  model::HttpCheck check;
  check.http_protocol = options.http_protocol;
  request.request = httpRequest(check, model::HttpUrl{.path = options.url}, request.target);
  if (options.tls) {
    auto tls = TlsContext::create();
    if (!tls) return tls.error();
    request.tls = std::move(*tls);
    request.sni = options.virtualhost;
  }
  request.mode = BodyMode::Digest;

  std::optional<FetchResult> result;
  HttpFetch fetch(**loop);
  fetch.start(std::move(request), clock.now() + options.timeout,
              [&result](FetchResult r) { result = std::move(r); });
  while (!result) KEEL_TRY((*loop)->runOnce());
  if (!result->ok) {
    const bool timeout = result->reason.starts_with("timeout");
    return base::makeError(timeout ? base::ErrorCode::Timeout : base::ErrorCode::Parse,
                           result->reason);
  }
  return GenhashResult{
      .status = result->status, .digest = result->digest, .body_bytes = result->body_bytes};
}

}  // namespace keel::check
