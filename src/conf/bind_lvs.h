// Drafts the virtual-server binders fill before inheritance is resolved: settings a checker
// inherits from its real server, and a real server from its virtual server, are kept as
// "set or not" until the virtual server's block is complete (docs/reference/keepalived.md §3.1).
// Internal to conf.
#pragma once

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
};

struct RsDraft {
  model::RealServer rs;
  Inherited inherited;
  std::optional<int> weight;
  std::vector<CheckDraft> checks;
};

// Binds one checker block (HTTP_GET, TCP_CHECK, ...) of a real server.
void bindChecker(const Statement& s, RsDraft& rs, BindContext& ctx);

// Binds the keywords every level may set (connect_timeout, retry, ...); false if `s` is not one.
bool bindInherited(const Statement& s, Inherited& in, BindContext& ctx);

}  // namespace keel::conf
