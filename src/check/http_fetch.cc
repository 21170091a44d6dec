#include "check/http_fetch.h"

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace keel::check {

namespace {

// Reads per wake-up before yielding to the loop, so a fast backend cannot starve other work.
constexpr int kReadsPerWakeup = 16;
constexpr std::size_t kReadBuffer = 16 * 1024;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// An OS or library error as a checker's reason: its message and errno text, without file:line.
std::string reasonOf(const base::Error& e) {
  return e.sys_errno != 0 ? fmt::format("{}: {}", e.message, std::strerror(e.sys_errno))
                          : e.message;
}

}  // namespace

std::string httpRequest(const model::HttpCheck& check, const model::HttpUrl& url,
                        const ProbeTarget& target) {
  const bool http11 = check.http_protocol == "1.1";
  const bool close = http11 || equalsIgnoreCase(check.http_protocol, "1.0C");
  std::string host = !url.virtualhost.empty() ? url.virtualhost : target.virtualhost;
  if (host.empty()) {
    const base::IpAddress& ip = target.endpoint.address();
    host = ip.isV6() ? fmt::format("[{}]:{}", ip.str(), target.endpoint.port())
                     : fmt::format("{}:{}", ip.str(), target.endpoint.port());
  }
  return fmt::format(
      "GET {} HTTP/1.{}\r\n"
      "User-Agent: KeepAliveClient\r\n"
      "{}"
      "Host: {}\r\n\r\n",
      url.path, http11 ? 1 : 0, close ? "Connection: close\r\n" : "", host);
}

HttpFetch::HttpFetch(event::Loop& loop)
    : loop_(loop), deadline_timer_(loop.clock()), start_timer_(loop.clock()) {}

HttpFetch::~HttpFetch() { cancel(); }

void HttpFetch::start(FetchRequest request, base::TimePoint deadline, Done done) {
  request_ = std::move(request);
  done_ = std::move(done);
  step_ = Step::Connecting;
  sent_ = 0;
  received_ = 0;
  parser_ = std::make_unique<HttpResponseParser>(request_.mode, request_.limits);
  if (request_.content) parser_->setContentSink(request_.content);
  deadline_timer_.armAt(deadline, [this] { onDeadline(); });
  start_timer_.armAt(loop_.clock().now(), [this] { begin(); });
}

void HttpFetch::cancel() {
  deadline_timer_.disarm();
  start_timer_.disarm();
  if (watched_) loop_.unwatch(fd_.get());
  watched_ = false;
  stream_.reset();
  fd_.reset();
  parser_.reset();
  done_ = nullptr;
}

void HttpFetch::begin() {
  auto fd = openSocket(request_.target, SOCK_STREAM);
  if (!fd) return fail(reasonOf(fd.error()), outOfDescriptors(fd.error()));
  fd_ = std::move(*fd);
  if (auto st = loop_.watch(fd_.get(), EPOLLOUT, [this](std::uint32_t ev) { onReady(ev); }); !st) {
    return fail(reasonOf(st.error()));
  }
  watched_ = true;
}

void HttpFetch::wait(std::uint32_t events) {
  if (auto st = loop_.modify(fd_.get(), events); !st) fail(reasonOf(st.error()));
}

void HttpFetch::onReady(std::uint32_t /*events*/) {
  switch (step_) {
    case Step::Connecting:
      return onConnected();
    case Step::Handshaking:
      return handshake();
    case Step::Sending:
      return send();
    case Step::Receiving:
      return receive();
  }
}

void HttpFetch::onConnected() {
  if (auto st = connectResult(fd_.get()); !st) return fail(reasonOf(st.error()));
  if (request_.tls) {
    auto stream = request_.tls->stream(fd_.get(), request_.sni);
    if (!stream) return fail(reasonOf(stream.error()));
    stream_ = std::move(*stream);
    step_ = Step::Handshaking;
    return handshake();
  }
  stream_ = plainStream(fd_.get());
  step_ = Step::Sending;
  send();
}

void HttpFetch::handshake() {
  const IoResult r = stream_->handshake();
  switch (r.kind) {
    case IoResult::Kind::Ok:
      step_ = Step::Sending;
      return send();
    case IoResult::Kind::WantRead:
      return wait(EPOLLIN);
    case IoResult::Kind::WantWrite:
      return wait(EPOLLOUT);
    case IoResult::Kind::Eof:
      return fail("connection closed during the TLS handshake");
    case IoResult::Kind::Error:
      return fail(r.error);
  }
}

void HttpFetch::send() {
  while (sent_ < request_.request.size()) {
    const IoResult r =
        stream_->write(request_.request.data() + sent_, request_.request.size() - sent_);
    switch (r.kind) {
      case IoResult::Kind::Ok:
        sent_ += r.bytes;
        continue;
      case IoResult::Kind::WantRead:
        return wait(EPOLLIN);
      case IoResult::Kind::WantWrite:
        return wait(EPOLLOUT);
      case IoResult::Kind::Eof:
        return fail("connection closed while sending the request");
      case IoResult::Kind::Error:
        return fail(r.error);
    }
  }
  step_ = Step::Receiving;
  wait(EPOLLIN);
}

void HttpFetch::receive() {
  std::array<char, kReadBuffer> buf;
  for (int i = 0; i < kReadsPerWakeup && done_; ++i) {
    const IoResult r = stream_->read(buf.data(), buf.size());
    HttpResponseParser::State state = parser_->state();
    switch (r.kind) {
      case IoResult::Kind::Ok:
        received_ += r.bytes;
        state = parser_->feed(std::string_view(buf.data(), r.bytes));
        break;
      case IoResult::Kind::WantRead:
        return wait(EPOLLIN);
      case IoResult::Kind::WantWrite:
        return wait(EPOLLOUT);
      case IoResult::Kind::Eof:
        state = parser_->finish();
        break;
      case IoResult::Kind::Error:
        return fail(fmt::format("{} after {} bytes of response", r.error, received_));
    }
    if (state == HttpResponseParser::State::Failed) {
      return fail(std::string(httpErrorName(parser_->error())));
    }
    if (state == HttpResponseParser::State::Done) {
      FetchResult result{
          .ok = true, .status = parser_->status(), .body_bytes = parser_->bodyBytes()};
      if (request_.mode == BodyMode::Digest) result.digest = parser_->digestHex();
      return finish(std::move(result));
    }
  }
}

std::string HttpFetch::stepName() const {
  switch (step_) {
    case Step::Connecting:
      return "connecting";
    case Step::Handshaking:
      return "in the TLS handshake";
    case Step::Sending:
      return "sending the request";
    case Step::Receiving:
      break;
  }
  return fmt::format("reading the response ({} bytes received)", received_);
}

void HttpFetch::onDeadline() { fail("timeout " + stepName()); }

void HttpFetch::fail(std::string reason, bool no_descriptor) {
  FetchResult result;
  result.reason = std::move(reason);
  result.no_descriptor = no_descriptor;
  if (parser_) result.status = parser_->status();
  finish(std::move(result));
}

void HttpFetch::finish(FetchResult result) {
  Done done = std::move(done_);
  cancel();
  if (done) done(std::move(result));
}

}  // namespace keel::check
