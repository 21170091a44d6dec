#include "app/mail_wiring.h"

#include "base/log.h"

namespace keel::app {

namespace {

// Whether a sync group or a checker would mail under keepalived: keel does not send those yet,
// which is said when the Mailer starts instead of being silently left out.
bool wantsUnsentAlerts(const model::Config& c) {
  for (const model::SyncGroup& g : c.sync_groups) {
    if (mail::vrrpAlerts(g.smtp_alert, c.global)) return true;
  }
  for (const model::VirtualServer& vs : c.virtual_servers) {
    if (mail::checkerAlerts(vs.smtp_alert, c.global, false)) return true;
    for (const model::RealServer& rs : vs.real_servers) {
      if (mail::checkerAlerts(rs.smtp_alert, c.global, true)) return true;
    }
  }
  return false;
}

}  // namespace

void MailWiring::configure(event::Loop& loop, std::shared_ptr<const model::Config> config) {
  config_ = std::move(config);
  auto options = mail::Mailer::optionsFrom(config_->global);
  if (!options) {
    base::logError("SMTP alerts off: {}", options.error().str());
    options = std::optional<mail::MailerOptions>();
  }
  if (*options == options_ && (mailer_ != nullptr) == options->has_value()) return;
  options_ = *options;
  mailer_ = options_ ? mail::Mailer::create(loop, *options_) : nullptr;
  if (mailer_ && wantsUnsentAlerts(*config_)) {
    base::logWarning(
        "SMTP alerts: keel mails VRRP instance transitions only; sync group, real "
        "server and virtual server alerts are not sent yet");
  }
}

void MailWiring::vrrpTransition(const std::string& instance, const std::string& state) {
  if (!mailer_ || !config_) return;
  const model::VrrpInstance* vi = nullptr;
  for (const model::VrrpInstance& v : config_->vrrp_instances) {
    if (v.name == instance) vi = &v;
  }
  if (vi == nullptr || !mail::vrrpAlerts(vi->smtp_alert, config_->global)) return;
  if (config_->global.no_email_faults && state == "FAULT") return;
  std::string& last = last_mailed_[instance];
  if (last == state) return;
  if (mailer_->sendAlert(mail::AlertKind::VrrpInstance, {instance, state, "", ""})) last = state;
}

}  // namespace keel::app
