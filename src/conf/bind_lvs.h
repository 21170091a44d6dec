// Drafts the virtual-server binders fill before inheritance is resolved: settings a checker
// inherits from its real server, and a real server from its virtual server, are kept as
// "set or not" until the virtual server's block is complete (docs/reference/keepalived.md §3.1),
// and the bind tables of the keywords every level may set. Internal to conf.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "conf/bind_context.h"
#include "model/virtual_server.h"

namespace keel::conf {

struct Inherited {
  std::optional<model::Duration> connect_timeout;
  std::optional<int> retry;
  std::optional<model::Duration> delay_before_retry;
  std::optional<model::Duration> delay_loop;
  std::optional<model::Duration> warmup;
  std::optional<bool> alpha;
  std::optional<bool> log_all_failures;
  std::optional<bool> inhibit_on_failure;
  std::optional<std::string> virtualhost;
};

struct CheckDraft {
  model::Checker checker;
  Inherited inherited;
  std::vector<const Statement*> smtp_hosts;  // SMTP_CHECK's host blocks, bound at its end
};

struct RsDraft {
  model::RealServer rs;
  Inherited inherited;
  std::optional<int> weight;
  std::vector<CheckDraft> checks;
  const Statement* threshold = nullptr;  // the first uthreshold/lthreshold, for its place
};

// Binds one checker block (HTTP_GET, TCP_CHECK, ...) of a real server.
void bindChecker(const Statement& s, RsDraft& rs, BindContext& ctx);

// -- the keywords every level sets for the levels below: D is a draft with `inherited` ------

template <class D>
void bindRetry(const Statement& s, D& d, BindContext& ctx) {
  if (auto r = ctx.integer(s, 0, 2147483647)) d.inherited.retry = static_cast<int>(*r);
}

template <class D, std::optional<model::Duration> Inherited::*Field, long kMinMs>
void bindInheritedTimer(const Statement& s, D& d, BindContext& ctx) {
  if (auto t = ctx.timer(s, std::chrono::milliseconds(kMinMs), std::chrono::seconds(86400))) {
    d.inherited.*Field = *t;
  }
}

template <class D, std::optional<bool> Inherited::*Field>
void bindInheritedFlag(const Statement& s, D& d, BindContext& ctx) {
  if (auto f = ctx.flag(s)) d.inherited.*Field = *f;
}

// retry, delay_before_retry, delay_loop, warmup, alpha: every level and every checker.
template <class D>
inline constexpr std::array<Keyword<D>, 5> kTimingKeywords = {{
    {"retry", Shape::Value, bindRetry<D>},
    {"delay_before_retry", Shape::Value, bindInheritedTimer<D, &Inherited::delay_before_retry, 0>},
    {"delay_loop", Shape::Value, bindInheritedTimer<D, &Inherited::delay_loop, 1>},
    {"warmup", Shape::Value, bindInheritedTimer<D, &Inherited::warmup, 0>},
    {"alpha", Shape::Value, bindInheritedFlag<D, &Inherited::alpha>},
}};

// connect_timeout: every level and the checkers that connect (not MISC_CHECK).
template <class D>
inline constexpr std::array<Keyword<D>, 1> kConnectTimeout = {{
    {"connect_timeout", Shape::Value, bindInheritedTimer<D, &Inherited::connect_timeout, 1>},
}};

}  // namespace keel::conf
