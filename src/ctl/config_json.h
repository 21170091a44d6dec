// The configuration model as JSON, for `keeld --dump-config` and the control socket's dump: every
// field, with keepalived's keyword names where there is one. Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include "model/config.h"

namespace keel::ctl {

nlohmann::ordered_json toJson(const model::Config& config);

}  // namespace keel::ctl
