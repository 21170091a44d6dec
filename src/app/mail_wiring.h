// keeld's alert mails (mail/sender.h): the Mailer for the configuration's global_defs, and the
// mail for each VRRP instance transition as keepalived sends it (vrrp_notify.c): only for an
// instance whose smtp_alert (or the global defaults) says so, never twice in a row for the same
// state, and no FAULT mail under no_email_faults. Checkers and sync groups call the Mailer
// themselves once they are wired (docs/mail.md). Main loop thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "event/loop.h"
#include "mail/sender.h"
#include "model/config.h"

namespace keel::app {

class MailWiring {
 public:
  // Keeps the running Mailer when the mail settings did not change (its queue survives a reload).
  // Holds `config` (the daemon's snapshot, not a copy) for the instances' smtp_alert.
  void configure(event::Loop& loop, std::shared_ptr<const model::Config> config);
  // A VRRP instance entered `state` ("MASTER", "BACKUP", "FAULT", "STOP").
  void vrrpTransition(const std::string& instance, const std::string& state);
  mail::Mailer* mailer() { return mailer_.get(); }

 private:
  std::shared_ptr<const model::Config> config_;
  std::optional<mail::MailerOptions> options_;
  std::unique_ptr<mail::Mailer> mailer_;
  std::map<std::string, std::string> last_mailed_;  // instance -> state of its last mail
};

}  // namespace keel::app
