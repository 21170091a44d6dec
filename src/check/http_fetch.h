// HttpFetch: one HTTP GET over one new connection (plain or TLS), driven by the event loop, that
// ends by a deadline. The building block of HttpProbe (one fetch per url, as keepalived opens one
// connection per url) and of genhash.
//
// Steps: non-blocking connect (openSocket), TLS handshake when asked, the request written in as
// many pieces as the socket takes, the response fed to an HttpResponseParser until it has what
// the BodyMode needs. Nothing blocks; every wait is a loop watch; the socket is closed as soon as
// the fetch ends. `done` runs exactly once per start(), never from inside start(), at or before
// the deadline (a deadline in the past fails on the next loop iteration). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/unique_fd.h"
#include "check/http_response.h"
#include "check/probe.h"
#include "check/tls_stream.h"
#include "event/loop.h"
#include "model/virtual_server.h"

namespace keel::check {

struct FetchRequest {
  ProbeTarget target;
  std::string request;              // the bytes to send, see httpRequest()
  std::shared_ptr<TlsContext> tls;  // set: SSL_GET
  std::string sni;                  // TLS server name; empty: none
  BodyMode mode = BodyMode::Status;
  HttpLimits limits;
  HttpResponseParser::ContentSink content;  // with BodyMode::Digest: the body's content, streamed
};

struct FetchResult {
  bool ok = false;     // a complete response arrived; says nothing about its status code
  std::string reason;  // why not, when !ok
  int status = 0;
  std::string digest;  // MD5 hex of the body, with BodyMode::Digest
  std::uint64_t body_bytes = 0;
  bool no_descriptor = false;  // the socket could not be opened (ProbeResult::no_descriptor)
};

// keepalived's request (docs/reference/keepalived.md §3.5): "GET <path> HTTP/1.0" (1.1 with
// http_protocol 1.1), "User-Agent: KeepAliveClient", "Connection: close" for 1.0C and 1.1, and a
// Host header: the url's virtualhost, else target.virtualhost, else "ip:port" with an IPv6 literal
// in brackets.
std::string httpRequest(const model::HttpCheck& check, const model::HttpUrl& url,
                        const ProbeTarget& target);

class HttpFetch {
 public:
  using Done = std::function<void(FetchResult)>;

  // REQUIRES: `loop` outlives the fetch.
  explicit HttpFetch(event::Loop& loop);
  ~HttpFetch();
  HttpFetch(const HttpFetch&) = delete;
  HttpFetch& operator=(const HttpFetch&) = delete;

  // REQUIRES: no fetch is running.
  void start(FetchRequest request, base::TimePoint deadline, Done done);
  // Abandons the running fetch, if any, without calling `done`.
  void cancel();
  bool running() const { return static_cast<bool>(done_); }

 private:
  enum class Step { Connecting, Handshaking, Sending, Receiving };

  void begin();
  void onReady(std::uint32_t events);
  void onConnected();
  void handshake();
  void send();
  void receive();
  void wait(std::uint32_t events);
  void onDeadline();
  void finish(FetchResult result);
  void fail(std::string reason, bool no_descriptor = false);
  std::string stepName() const;

  event::Loop& loop_;
  base::Timer deadline_timer_;
  base::Timer start_timer_;  // runs begin() on the next iteration, so start() never reports
  FetchRequest request_;
  Done done_;
  Step step_ = Step::Connecting;
  base::UniqueFd fd_;
  bool watched_ = false;
  std::unique_ptr<Stream> stream_;
  std::size_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::unique_ptr<HttpResponseParser> parser_;
};

}  // namespace keel::check
