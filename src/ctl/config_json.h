// The configuration model as JSON, for `keeld --dump-config` and the control socket's dump: every
// field, with keepalived's keyword names where there is one. Pure; any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"

namespace keel::ctl {

nlohmann::ordered_json toJson(const model::Config& config);

// `json` as text (indented by `indent`, -1: one line) with every invalid UTF-8 sequence replaced
// by U+FFFD. Strings keel takes from outside — file paths, interface and script names — are bytes,
// not text; nlohmann's default dump() throws on them. Every JSON keel writes goes through here.
std::string dumpJson(const nlohmann::ordered_json& json, int indent = -1);

}  // namespace keel::ctl
