#include "check/http_probe.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace keel::check {

namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool statusAccepted(const std::vector<model::StatusRange>& ranges, int status) {
  if (ranges.empty()) return status >= 200 && status <= 299;
  return std::any_of(ranges.begin(), ranges.end(), [status](const model::StatusRange& r) {
    return status >= r.low && status <= r.high;
  });
}

HttpProbe::HttpProbe(event::Loop& loop, model::HttpCheck check, ProbeTarget target,
                     std::shared_ptr<TlsContext> tls, HttpLimits limits)
    : loop_(loop),
      check_(std::move(check)),
      target_(std::move(target)),
      tls_(std::move(tls)),
      limits_(limits),
      fetch_(loop),
      fail_timer_(loop.clock()) {
  for (const model::HttpUrl& url : check_.urls) {
    regexes_.emplace_back();
    if (!url.regex) continue;
    auto re = base::Regex::compile(url.regex->pattern, url.regex->options);
    if (re) {
      regexes_.back() = std::move(*re);
    } else {
      regex_error_ = fmt::format("url {}: {}", url.path, re.error().message);
    }
  }
}

void HttpProbe::start(base::TimePoint deadline, Done done) {
  deadline_ = deadline;
  done_ = std::move(done);
  url_ = 0;
  if (check_.urls.empty() || !regex_error_.empty()) {
    fail_timer_.armAt(loop_.clock().now(), [this] {
      report(
          {.ok = false, .reason = regex_error_.empty() ? "HTTP checker has no url" : regex_error_});
    });
    return;
  }
  if (check_.tls && !tls_) {
    auto tls = TlsContext::create(check_.ssl);
    if (!tls) {
      const std::string reason = tls.error().str();
      fail_timer_.armAt(loop_.clock().now(),
                        [this, reason] { report({.ok = false, .reason = reason}); });
      return;
    }
    tls_ = std::move(*tls);
  }
  fetchUrl();
}

void HttpProbe::cancel() {
  fetch_.cancel();
  body_regex_.reset();
  fail_timer_.disarm();
  done_ = nullptr;
}

void HttpProbe::fetchUrl() {
  const model::HttpUrl& url = check_.urls[url_];
  FetchRequest request;
  request.target = target_;
  request.request = httpRequest(check_, url, target_);
  if (check_.tls) {
    request.tls = tls_;
    if (check_.enable_sni) {
      request.sni = !url.virtualhost.empty() ? url.virtualhost : target_.virtualhost;
    }
  }
  request.mode = url.digest.empty() && !url.regex ? BodyMode::Status : BodyMode::Digest;
  request.limits = limits_;
  body_regex_.reset();
  if (url.regex) {
    body_regex_ = std::make_unique<BodyRegex>(regexes_[url_], *url.regex);
    request.content = [this](std::string_view bytes) { body_regex_->feed(bytes); };
  }
  fetch_.start(std::move(request), deadline_,
               [this](const FetchResult& result) { onFetched(result); });
}

void HttpProbe::onFetched(const FetchResult& result) {
  const model::HttpUrl& url = check_.urls[url_];
  if (!result.ok) {
    return report({.ok = false,
                   .reason = fmt::format("url {}: {}", url.path, result.reason),
                   .no_descriptor = result.no_descriptor});
  }
  if (!statusAccepted(url.status_codes, result.status)) {
    return report({.ok = false,
                   .reason = fmt::format("url {}: HTTP status code {}", url.path, result.status)});
  }
  if (!url.digest.empty() && lowercase(url.digest) != result.digest) {
    return report(
        {.ok = false,
         .reason = fmt::format("url {}: MD5 digest {} does not match", url.path, result.digest)});
  }
  if (std::string why = regexFailure(url); !why.empty()) {
    return report({.ok = false, .reason = fmt::format("url {}: {}", url.path, why)});
  }
  if (++url_ < check_.urls.size()) return fetchUrl();
  report({.ok = true});
}

std::string HttpProbe::regexFailure(const model::HttpUrl& url) {
  if (!url.regex || !body_regex_) return {};
  body_regex_->finish();
  const bool matched = body_regex_->matched();
  const std::string error = body_regex_->error();
  body_regex_.reset();
  if (matched != url.regex->no_match) return {};
  if (!error.empty()) return fmt::format("regex match failed: {}", error);
  return matched ? fmt::format("body matches regex \"{}\" (regex_no_match)", url.regex->pattern)
                 : fmt::format("body does not match regex \"{}\"", url.regex->pattern);
}

void HttpProbe::report(ProbeResult result) {
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

}  // namespace keel::check
