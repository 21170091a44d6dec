// SmtpProbe: SMTP_CHECK (docs/reference/keepalived.md §1.14) — connects, reads the greeting, says
// HELO and QUIT. The dialogue is a pure state machine (SmtpDialogue) fed with what the server
// sends; the probe only moves bytes. Success, as in keepalived's check_smtp.c: a 220 greeting, 250
// to `HELO <helo_name>`, then any well-formed reply to QUIT (keepalived does not look at its code).
// Unlike keepalived, multi-line replies (RFC 5321 §4.2.1, "220-...") are understood. Lines are
// bounded (RFC 5321 §4.5.3.1.5: 512 octets) and so is the number of lines in a reply; anything
// else the server sends fails the check with a reason. Loop thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

class SmtpDialogue {
 public:
  static constexpr std::size_t kMaxLine = 512;  // with CRLF
  static constexpr int kMaxReplyLines = 64;

  explicit SmtpDialogue(std::string helo_name);

  struct Step {
    std::string send;                   // to write to the server now
    std::optional<ProbeResult> result;  // set once the dialogue is over
  };
  // What the server sent next. REQUIRES: the dialogue is not over.
  Step onData(std::string_view bytes);
  // The server closed the connection. REQUIRES: the dialogue is not over.
  Step onClosed();
  // Where the dialogue is, for a timeout reason: "greeting", "HELO" or "QUIT".
  std::string_view waitingFor() const;

 private:
  enum class Phase { Greeting, Helo, Quit, Over };
  Step onLine(std::string_view line, bool& reply_done);
  Step onReply(int code);
  Step fail(std::string reason);

  std::string helo_name_;
  Phase phase_ = Phase::Greeting;
  std::string line_;     // the partial line
  int reply_code_ = -1;  // the code of the reply being read, -1 before its first line
  int reply_lines_ = 0;
};

class SmtpProbe final : public SocketProbe {
 public:
  SmtpProbe(event::Loop& loop, ProbeTarget target, model::SmtpCheck check);

  void start(base::TimePoint deadline, Done done) override;

 private:
  void onEvents(std::uint32_t events);
  void onConnected();
  void onReadable();
  void apply(SmtpDialogue::Step step);
  void flush();

  ProbeTarget target_;
  model::SmtpCheck check_;
  bool connected_ = false;
  std::optional<SmtpDialogue> dialogue_;
  std::string out_;  // not yet written
};

}  // namespace keel::check
