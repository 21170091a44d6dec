// HttpProbe: the probe of keepalived's HTTP_GET and SSL_GET (docs/reference/keepalived.md §1.14,
// §3.5). One attempt fetches every url in order, each over its own connection, and passes only when
// every url passes: its status code is in the url's status_code ranges (200-299 when none) and,
// when the url has a digest, the MD5 of its body matches. The whole attempt, all urls together,
// ends by the deadline the Checker gives.
//
// A url with a regex also needs its body to match the pattern (not to match it, with
// regex_no_match), matched as the body streams in (check/body_regex.h).
//
// Deliberate difference from keepalived: a url without a digest or regex is judged once the
// response's header section has ended; keepalived reads such a body to EOF and ignores it. The
// outcome is the same for a well-behaved backend, the check is faster, and an endless or slow body
// cannot hold it. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/regex.h"
#include "check/body_regex.h"
#include "check/http_fetch.h"
#include "check/probe.h"
#include "event/loop.h"
#include "model/virtual_server.h"

namespace keel::check {

// True when `status` is in `ranges`, or in 200-299 when `ranges` is empty.
bool statusAccepted(const std::vector<model::StatusRange>& ranges, int status);

class HttpProbe final : public Probe {
 public:
  // REQUIRES: `loop` outlives the probe; check.urls is not empty (the config layer drops a
  // checker without urls, as keepalived does). `tls` is used when check.tls; when null the probe
  // creates its own context on its first TLS attempt.
  HttpProbe(event::Loop& loop, model::HttpCheck check, ProbeTarget target,
            std::shared_ptr<TlsContext> tls = nullptr, HttpLimits limits = {});

  void start(base::TimePoint deadline, Done done) override;
  void cancel() override;

 private:
  void fetchUrl();
  void onFetched(const FetchResult& result);
  // The url's regex verdict as a failure reason; empty when it passes.
  std::string regexFailure(const model::HttpUrl& url);
  void report(ProbeResult result);

  event::Loop& loop_;
  model::HttpCheck check_;
  ProbeTarget target_;
  std::shared_ptr<TlsContext> tls_;
  HttpLimits limits_;
  std::vector<std::shared_ptr<const base::Regex>> regexes_;  // per url; null: no regex
  std::string regex_error_;  // why a url's pattern did not compile (conf checks it first)
  std::unique_ptr<BodyRegex> body_regex_;  // the running url's matcher
  HttpFetch fetch_;
  base::Timer fail_timer_;  // reports a failure found inside start() on the next iteration
  base::TimePoint deadline_{};
  std::size_t url_ = 0;
  Done done_;
};

}  // namespace keel::check
