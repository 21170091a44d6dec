#include "check/smtp_probe.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <utility>

namespace keel::check {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool hasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

SmtpDialogue::SmtpDialogue(std::string helo_name) : helo_name_(std::move(helo_name)) {}

SmtpDialogue::Step SmtpDialogue::fail(std::string reason) {
  phase_ = Phase::Over;
  return {.result = ProbeResult{.reason = std::move(reason)}};
}

std::string_view SmtpDialogue::waitingFor() const {
  switch (phase_) {
    case Phase::Greeting:
      return "greeting";
    case Phase::Helo:
      return "HELO";
    default:
      return "QUIT";
  }
}

SmtpDialogue::Step SmtpDialogue::onData(std::string_view bytes) {
  Step out;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    if (line_.size() + part.size() + (nl == std::string_view::npos ? 0 : 1) > kMaxLine) {
      return fail("reply line over " + std::to_string(kMaxLine) + " bytes while waiting for " +
                  std::string(waitingFor()) + " reply");
    }
    line_.append(part);
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
    std::string line = std::move(line_);
    line_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool reply_done = false;
    Step step = onLine(line, reply_done);
    if (step.result) return step;
    out.send += step.send;
    // The server speaks only when spoken to: nothing may follow a reply before our command.
    if (reply_done && !bytes.empty()) {
      return fail("server sent data before our " + std::string(waitingFor()));
    }
  }
  return out;
}

SmtpDialogue::Step SmtpDialogue::onLine(std::string_view line, bool& reply_done) {
  const bool well_formed = line.size() >= 3 && isDigit(line[0]) && isDigit(line[1]) &&
                           isDigit(line[2]) &&
                           (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (!well_formed) {
    return fail("malformed reply line while waiting for " + std::string(waitingFor()) + " reply");
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply_code_ >= 0 && code != reply_code_) {
    return fail("multi-line reply changes its code from " + std::to_string(reply_code_) + " to " +
                std::to_string(code));
  }
  reply_code_ = code;
  if (++reply_lines_ > kMaxReplyLines) {
    return fail("reply of over " + std::to_string(kMaxReplyLines) + " lines");
  }
  if (line.size() > 3 && line[3] == '-') return {};
  reply_done = true;
  reply_code_ = -1;
  reply_lines_ = 0;
  return onReply(code);
}

SmtpDialogue::Step SmtpDialogue::onReply(int code) {
  switch (phase_) {
    case Phase::Greeting:
      if (code != 220) return fail("bad greeting banner (" + std::to_string(code) + ")");
      if (hasControl(helo_name_)) return fail("helo_name has control characters");
      phase_ = Phase::Helo;
      return {.send = "HELO " + helo_name_ + "\r\n"};
    case Phase::Helo:
      if (code != 250) return fail("bad HELO response (" + std::to_string(code) + ")");
      phase_ = Phase::Quit;
      return {.send = "QUIT\r\n"};
    default:
      phase_ = Phase::Over;
      return {.result = ProbeResult{.ok = true}};
  }
}

SmtpDialogue::Step SmtpDialogue::onClosed() {
  return fail("connection closed while waiting for " + std::string(waitingFor()) + " reply");
}

SmtpProbe::SmtpProbe(event::Loop& loop, ProbeTarget target, model::SmtpCheck check)
    : SocketProbe(loop), target_(std::move(target)), check_(std::move(check)) {}

void SmtpProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  dialogue_.emplace(check_.helo_name);
  out_.clear();
  connected_ = false;
  auto fd = openSocket(target_, SOCK_STREAM);
  if (!fd) return failSoon(fd.error().str(), outOfDescriptors(fd.error()));
  fd_ = std::move(*fd);
  if (auto st = loop_.watch(fd_.get(), EPOLLOUT, [this](std::uint32_t e) { onEvents(e); }); !st) {
    return failSoon(st.error().str());
  }
  timer_.armAt(deadline, [this] {
    finish({.reason = connected_
                          ? "timeout waiting for " + std::string(dialogue_->waitingFor()) + " reply"
                          : "connection timeout"});
  });
}

void SmtpProbe::onEvents(std::uint32_t events) {
  if (!connected_) return onConnected();
  if ((events & EPOLLOUT) != 0 && !out_.empty()) {
    flush();
    if (!fd_) return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) onReadable();
}

void SmtpProbe::onConnected() {
  if (auto st = connectResult(fd_.get()); !st) return finish({.reason = st.error().str()});
  connected_ = true;
  if (auto st = loop_.modify(fd_.get(), EPOLLIN); !st) finish({.reason = st.error().str()});
}

void SmtpProbe::onReadable() {
  std::array<char, 2048> buf{};
  const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return finish({.reason = KEEL_SYS_ERROR(errno, "recv").str()});
  }
  if (n == 0) return apply(dialogue_->onClosed());
  apply(dialogue_->onData(std::string_view(buf.data(), static_cast<std::size_t>(n))));
}

void SmtpProbe::apply(SmtpDialogue::Step step) {
  if (step.result) return finish(std::move(*step.result));
  if (step.send.empty()) return;
  out_ += step.send;
  flush();
}

void SmtpProbe::flush() {
  const ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    return finish({.reason = KEEL_SYS_ERROR(errno, "send").str()});
  }
  if (n > 0) out_.erase(0, static_cast<std::size_t>(n));
  const std::uint32_t events = out_.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT;
  if (auto st = loop_.modify(fd_.get(), events); !st) finish({.reason = st.error().str()});
}

}  // namespace keel::check
