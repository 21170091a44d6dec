// Every script a configuration would run, with who configured it, so that script security can be
// judged in one place (docs/reference/keepalived.md §1.6 enable_script_security). Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"
#include "model/validate.h"

namespace keel::model {

struct ScriptUse {
  const Script* script = nullptr;  // points into the Config passed to scriptsOf()
  std::string where;               // e.g. "vrrp_script chk", "(VI_1) notify_master"
  Subject subject;                 // where it is written (validate.h)
};

// The non-empty scripts of `config` in configuration order. The pointers live as long as `config`.
std::vector<ScriptUse> scriptsOf(const Config& config);

// The user a script runs as: its own, else global_defs script_user, else `fallback` (keepalived:
// the user keepalived_script when it exists, else root).
std::string effectiveUser(const Script& script, const GlobalDefs& global,
                          const std::string& fallback);

}  // namespace keel::model
