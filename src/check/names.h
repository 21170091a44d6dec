// keepalived's names for services in log lines and notify FIFO lines (docs/reference/keepalived.md
// §2.12, §3.3): a real server as "[10.0.0.2]:tcp:80", a virtual server as "[10.0.0.1]:tcp:80", "FWM
// 7" or "[group]", a checker kind as "TCP_CHECK". The texts come from model/identity.h's one
// formatter. Pure; any thread.
#pragma once

#include <string>

#include "model/virtual_server.h"

namespace keel::check {

std::string realServerText(const model::VirtualServer& vs, const model::RealServer& rs);
std::string virtualServerText(const model::VirtualServer& vs);
// "[ip]:proto:port" for any endpoint under `vs`'s protocol.
std::string endpointText(const model::VirtualServer& vs, const base::IpAddress& address,
                         std::uint16_t port);
std::string checkerKindName(const model::Checker& checker);

}  // namespace keel::check
