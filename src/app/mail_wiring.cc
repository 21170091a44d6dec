#include "app/mail_wiring.h"

#include "base/log.h"

namespace keel::app {

void MailWiring::configure(event::Loop& loop, const model::Config& config) {
  config_ = std::make_shared<const model::Config>(config);
  auto options = mail::Mailer::optionsFrom(config.global);
  if (!options) {
    base::logError("SMTP alerts off: {}", options.error().str());
    options = std::optional<mail::MailerOptions>();
  }
  if (*options == options_ && (mailer_ != nullptr) == options->has_value()) return;
  options_ = *options;
  mailer_ = options_ ? mail::Mailer::create(loop, *options_) : nullptr;
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
