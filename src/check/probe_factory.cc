#include "check/probe_factory.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "check/dns_probe.h"
#include "check/http_probe.h"
#include "check/misc_probe.h"
#include "check/ping_probe.h"
#include "check/smtp_probe.h"
#include "check/tcp_probe.h"
#include "check/tls_stream.h"
#include "check/udp_probe.h"

namespace keel::check {

namespace {

using ProbePtr = std::unique_ptr<Probe>;

class Factory {
 public:
  explicit Factory(std::function<event::ScriptPolicy()> policy) : policy_(std::move(policy)) {}

  base::Result<ProbePtr> operator()(event::Loop& loop, const model::Checker& checker,
                                    const ProbeTarget& target) {
    return std::visit(
        [&](const auto& kind) -> base::Result<ProbePtr> { return make(loop, kind, target); },
        checker.kind);
  }

 private:
  static base::Result<ProbePtr> make(event::Loop& loop, const model::TcpCheck&,
                                     const ProbeTarget& target) {
    return ProbePtr(std::make_unique<TcpProbe>(loop, target));
  }
  base::Result<ProbePtr> make(event::Loop& loop, const model::HttpCheck& check,
                              const ProbeTarget& target) {
    std::shared_ptr<TlsContext> tls;
    if (check.tls) {
      auto shared = std::find_if(tls_.begin(), tls_.end(),
                                 [&](const auto& t) { return t.first == check.ssl; });
      if (shared == tls_.end()) {
        std::erase_if(tls_, [](const auto& t) { return t.second.use_count() == 1; });
        auto made = TlsContext::create(check.ssl);
        if (!made) return base::makeError(made.error().code, made.error().message);
        tls_.emplace_back(check.ssl, std::move(*made));
        shared = std::prev(tls_.end());
      }
      tls = shared->second;
    }
    return ProbePtr(std::make_unique<HttpProbe>(loop, check, target, std::move(tls)));
  }
  base::Result<ProbePtr> make(event::Loop& loop, const model::MiscCheck& check,
                              const ProbeTarget&) const {
    return ProbePtr(std::make_unique<MiscProbe>(loop, check, policy_()));
  }
  static base::Result<ProbePtr> make(event::Loop& loop, const model::DnsCheck& check,
                                     const ProbeTarget& target) {
    return ProbePtr(std::make_unique<DnsProbe>(loop, target, check));
  }
  static base::Result<ProbePtr> make(event::Loop& loop, const model::SmtpCheck& check,
                                     const ProbeTarget& target) {
    return ProbePtr(std::make_unique<SmtpProbe>(loop, target, check));
  }
  static base::Result<ProbePtr> make(event::Loop& loop, const model::UdpCheck& check,
                                     const ProbeTarget& target) {
    return ProbePtr(std::make_unique<UdpProbe>(loop, target, check));
  }
  static base::Result<ProbePtr> make(event::Loop& loop, const model::PingCheck&,
                                     const ProbeTarget& target) {
    return ProbePtr(std::make_unique<PingProbe>(loop, target));
  }
  // CheckManager follows these itself: they have no probe.
  static base::Result<ProbePtr> make(event::Loop&, const model::FileCheck&, const ProbeTarget&) {
    return base::makeError(base::ErrorCode::Unsupported, "FILE_CHECK has no probe");
  }
  static base::Result<ProbePtr> make(event::Loop&, const model::BfdCheck&, const ProbeTarget&) {
    return base::makeError(base::ErrorCode::Unsupported, "BFD_CHECK has no probe");
  }

  std::function<event::ScriptPolicy()> policy_;
  // One context per set of SSL files (one SSL block per configuration; a reload may bring
  // another, whose checkers get a context of their own).
  std::vector<std::pair<base::TlsFiles, std::shared_ptr<TlsContext>>> tls_;
};

}  // namespace

ProbeFactory makeProbeFactory(std::function<event::ScriptPolicy()> policy) {
  auto factory = std::make_shared<Factory>(std::move(policy));
  return [factory](event::Loop& loop, const model::Checker& checker, const ProbeTarget& target) {
    return (*factory)(loop, checker, target);
  };
}

}  // namespace keel::check
