// The binder: keyword tables that turn the statement tree of a keepalived.conf into a
// model::Config (docs/reference/keepalived.md §1.5-1.14), applying keepalived's defaults, aliases
// and inheritance and reporting every problem as a diagnostic. Pure; one thread.
#pragma once

#include <vector>

#include "conf/diagnostics.h"
#include "conf/statement.h"
#include "model/config.h"

namespace keel::conf {

model::Config bindConfig(const std::vector<Statement>& tree, Diagnostics& diags);

// Binds one top-level statement into `config`.
void bindTopLevel(const Statement& statement, model::Config& config, Diagnostics& diags);

}  // namespace keel::conf
