// The ProbeFactory of every protocol keel checks with: the one keeld gives its CheckManager.
// Loop thread only.
#pragma once

#include <functional>

#include "check/manager.h"
#include "event/script_policy.h"

namespace keel::check {

// TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK, SMTP_CHECK, UDP_CHECK and PING_CHECK;
// FILE_CHECK and BFD_CHECK have no probe (CheckManager follows their track file or session) and are
// Unsupported here. `policy` is asked whenever a MISC_CHECK probe is made, so the script settings
// of a reloaded configuration apply to the checkers it starts. SSL_GET probes with the same SSL
// block files share one TLS context, made on first use (an error then fails that checker only).
ProbeFactory makeProbeFactory(std::function<event::ScriptPolicy()> policy);

}  // namespace keel::check
