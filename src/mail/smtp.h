// The SMTP client side of one alert mail, pure: the message text as keepalived writes it (its
// smtp.c: Date, From, Subject, X-Mailer, To, a blank line, the body), made safe for the DATA
// phase (RFC 5321 §4.5.2 dot-stuffing, CRLF line ends, which keepalived does not do), and the
// dialogue — greeting, HELO, MAIL FROM, one RCPT TO per recipient, DATA, the message, QUIT —
// with each reply code checked as keepalived checks it (220, 250, 250 or 251, 354, 250).
// Multi-line replies are understood; lines and replies are bounded. No I/O; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace keel::mail {

struct Envelope {
  std::string helo_name;
  std::string from;
  std::vector<std::string> to;
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// "Tue, 08 Dec 2026 10:31:02 +0100" in the local time zone (RFC 5322 §3.3), as keepalived.
std::string rfc5322Date(base::WallTime when);

// Headers and body for DATA, dot-stuffed, CRLF line ends, ending as keepalived's (an empty line,
// then the lone "." line).
std::string messageText(const Envelope& envelope, std::string_view subject, std::string_view body,
                        std::string_view date);

struct Outcome {
  bool sent = false;
  std::string reason;  // why not: "RCPT TO <a@b> refused: 550 ...", "connection closed", ...
};

class SmtpDialogue {
 public:
  static constexpr std::size_t kMaxLine = 512;  // RFC 5321 §4.5.3.1.5, with CRLF
  static constexpr int kMaxReplyLines = 64;

  SmtpDialogue(Envelope envelope, std::string message);

  struct Step {
    std::string send;             // to write now
    std::optional<Outcome> done;  // the dialogue is over (the connection may be closed)
  };
  Step onData(std::string_view bytes);
  Step onClosed();
  // The reply being waited for, for timeouts: "greeting", "HELO", "MAIL FROM", ...
  std::string_view waitingFor() const;

 private:
  enum class Phase { Greeting, Helo, Mail, Rcpt, Data, Body, Quit, Over };
  Step onReply(int code, const std::string& text);
  Step fail(std::string reason);
  Step next();  // the command of the current phase

  Envelope envelope_;
  std::string message_;
  Phase phase_ = Phase::Greeting;
  std::size_t rcpt_ = 0;    // the recipient being added
  std::string line_;        // the partial line
  std::string reply_text_;  // the first line of the reply being read
  int reply_lines_ = 0;
  std::optional<Outcome> result_;  // decided before QUIT's reply arrives
};

}  // namespace keel::mail
