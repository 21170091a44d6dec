#include "mail/smtp.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include <fmt/format.h>

namespace keel::mail {

namespace {

// One line of text for the DATA phase: no bare CR or LF inside, a leading '.' doubled.
void appendLine(std::string& out, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.starts_with('.')) out += '.';
  for (char c : line) out += c == '\r' ? ' ' : c;
  out += "\r\n";
}

void appendText(std::string& out, std::string_view text) {
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    appendLine(out, text.substr(at, end - at));
    at = end + 1;
  }
}

// A header value on one line: CR and LF would start another header.
std::string oneLine(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string rfc5322Date(base::WallTime when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &local);
  return std::string(buf, n);
}

std::string messageText(const Envelope& envelope, std::string_view subject, std::string_view body,
                        std::string_view date) {
  std::string to;
  for (const std::string& r : envelope.to) to += (to.empty() ? "" : ", ") + r;
  std::string out;
  out +=
      fmt::format("Date: {}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n",
                  oneLine(date), oneLine(envelope.from), oneLine(subject), oneLine(to));
  appendText(out, body);
  out += "\r\n.\r\n";  // keepalived's ending: the body keeps its line end
  return out;
}

SmtpDialogue::SmtpDialogue(Envelope envelope, std::string message)
    : envelope_(std::move(envelope)), message_(std::move(message)) {}

std::string_view SmtpDialogue::waitingFor() const {
  static constexpr std::string_view kNames[] = {
      "greeting", "HELO", "MAIL FROM", "RCPT TO", "DATA", "end of message", "QUIT", "nothing"};
  return kNames[static_cast<int>(phase_)];
}

SmtpDialogue::Step SmtpDialogue::fail(std::string reason) {
  result_ = Outcome{false, std::move(reason)};
  if (phase_ == Phase::Greeting || phase_ == Phase::Quit) {
    phase_ = Phase::Over;
    return Step{"", result_};
  }
  phase_ = Phase::Quit;
  return Step{"QUIT\r\n", std::nullopt};
}

SmtpDialogue::Step SmtpDialogue::next() {
  switch (phase_) {
    case Phase::Helo:
      return Step{fmt::format("HELO {}\r\n", oneLine(envelope_.helo_name)), std::nullopt};
    case Phase::Mail:
      return Step{fmt::format("MAIL FROM:<{}>\r\n", oneLine(envelope_.from)), std::nullopt};
    case Phase::Rcpt:
      return Step{fmt::format("RCPT TO:<{}>\r\n", oneLine(envelope_.to[rcpt_])), std::nullopt};
    case Phase::Data:
      return Step{"DATA\r\n", std::nullopt};
    case Phase::Body:
      return Step{message_, std::nullopt};
    case Phase::Quit:
      return Step{"QUIT\r\n", std::nullopt};
    case Phase::Greeting:
    case Phase::Over:
      break;
  }
  return Step{};
}

SmtpDialogue::Step SmtpDialogue::onReply(int code, const std::string& text) {
  auto refused = [&](std::string_view what) {
    return fail(fmt::format("{} refused: {}", what, text));
  };
  switch (phase_) {
    case Phase::Greeting:
      if (code != 220) return refused("greeting");
      phase_ = Phase::Helo;
      return next();
    case Phase::Helo:
      if (code != 250) return refused("HELO");
      phase_ = Phase::Mail;
      return next();
    case Phase::Mail:
      if (code != 250) return refused("MAIL FROM");
      if (envelope_.to.empty()) return fail("no recipient");
      phase_ = Phase::Rcpt;
      return next();
    case Phase::Rcpt:
      if (code != 250 && code != 251) {
        return refused(fmt::format("RCPT TO <{}>", envelope_.to[rcpt_]));
      }
      if (++rcpt_ == envelope_.to.size()) phase_ = Phase::Data;
      return next();
    case Phase::Data:
      if (code != 354) return refused("DATA");
      phase_ = Phase::Body;
      return next();
    case Phase::Body:
      if (code != 250) return refused("the message");
      result_ = Outcome{true, ""};
      phase_ = Phase::Quit;
      return next();
    case Phase::Quit:
      phase_ = Phase::Over;
      return Step{"", result_};
    case Phase::Over:
      break;
  }
  return Step{};
}

SmtpDialogue::Step SmtpDialogue::onData(std::string_view bytes) {
  Step out;
  for (char c : bytes) {
    if (phase_ == Phase::Over) break;
    line_ += c;
    if (line_.size() > kMaxLine) return fail("a reply line longer than 512 bytes");
    if (c != '\n') continue;
    std::string line = std::move(line_);
    line_.clear();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const bool digits = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                        std::isdigit(static_cast<unsigned char>(line[1])) &&
                        std::isdigit(static_cast<unsigned char>(line[2]));
    if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      return fail(fmt::format("a malformed reply \"{}\"", line.substr(0, 80)));
    }
    if (reply_lines_++ == 0) reply_text_ = line;
    if (reply_lines_ > kMaxReplyLines) return fail("a reply of too many lines");
    if (line.size() > 3 && line[3] == '-') continue;  // more lines follow
    reply_lines_ = 0;
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    Step s = onReply(code, reply_text_);
    out.send += s.send;
    if (s.done) {
      out.done = s.done;
      return out;
    }
  }
  return out;
}

SmtpDialogue::Step SmtpDialogue::onClosed() {
  if (phase_ == Phase::Quit && result_) {  // closed instead of answering QUIT: done all the same
    phase_ = Phase::Over;
    return Step{"", result_};
  }
  result_ = Outcome{false,
                    fmt::format("the server closed the connection (waiting for {})", waitingFor())};
  phase_ = Phase::Over;
  return Step{"", result_};
}

}  // namespace keel::mail
