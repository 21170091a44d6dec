// keelctl's side of the control socket: one request line out, one response line back, with a
// deadline. Blocking; for the keelctl process only, never for keeld's loop.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/error.h"

namespace keel::app {

// Sends `request` to the keeld listening on `socket_path` and returns its response object.
// Errors: NotFound when nothing listens there (keeld not running); State when keeld refuses
// the peer (permission); Timeout; Parse for a response that is not one JSON object.
base::Result<nlohmann::ordered_json> controlRequest(const std::string& socket_path,
                                                    const nlohmann::ordered_json& request,
                                                    base::Duration timeout);

}  // namespace keel::app
