// Mailer: keepalived's alert mails (smtp_server, notification_email*, smtp_helo_name,
// smtp_connect_timeout; docs/mail.md) sent over SMTP without blocking anything. It runs on the
// event::Loop its owner gives it; sendAlert() may be called from any thread (VRRP's, the
// checkers') and only formats the mail and posts it there. Mails wait in a bounded queue
// (kQueueLimit; beyond it they are dropped and counted) and go out one connection at a time:
// a non-blocking connect, then the dialogue of smtp.h, each step bounded by
// smtp_connect_timeout as in keepalived. A failed mail is logged and counted, not retried
// (keepalived does not retry either).
//
// Thread rules: create() and destruction on the loop's thread; sendAlert() and stats() from any.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "event/loop.h"
#include "mail/alert.h"
#include "mail/smtp.h"
#include "model/global_defs.h"

namespace keel::mail {

struct MailerOptions {
  base::Endpoint server;
  Envelope envelope;
  std::string router_id;                              // the [tag] of every subject
  base::Duration timeout = std::chrono::seconds(30);  // connect, and each reply
  friend bool operator==(const MailerOptions&, const MailerOptions&) = default;
};

struct MailerStats {
  std::uint64_t queued = 0;   // accepted by sendAlert()
  std::uint64_t sent = 0;     // the server took the message (250 after DATA)
  std::uint64_t failed = 0;   // connect or dialogue failed, or timed out
  std::uint64_t dropped = 0;  // the queue was full
};

class Mailer {
 public:
  static constexpr std::size_t kQueueLimit = 64;

  // From global_defs: nullopt when mail is off (no smtp_server or no notification_email, as
  // keepalived). Defaults as keepalived: smtp_helo_name and router_id the host name,
  // notification_email_from <user>@<host name>. A host name in smtp_server is resolved here, on
  // the caller's thread, once (keepalived resolves it when it reads the configuration).
  // Errors: NotFound when smtp_server does not resolve.
  static base::Result<std::optional<MailerOptions>> optionsFrom(const model::GlobalDefs& g);

  static std::unique_ptr<Mailer> create(event::Loop& loop, MailerOptions options);
  ~Mailer();
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;

  // Any thread: formats the alert (formatAlert) and queues it on the loop. Returns false when
  // the alert kind has no mail for that state.
  bool sendAlert(AlertKind kind, const AlertFields& fields);
  // Any thread: queues a mail with this subject and body (tests, and callers with their own text).
  void send(std::string subject, std::string body);
  MailerStats stats() const;

 private:
  struct Worker;
  Mailer(event::Loop& loop, MailerOptions options);

  event::Loop& loop_;
  MailerOptions options_;
  std::shared_ptr<Worker> worker_;  // lives on the loop thread; posted work holds a weak_ptr
};

}  // namespace keel::mail
