// The kernel's IPVS connection table as /proc/net/ip_vs_conn prints it (what `ipvsadm -Lnc`
// reads): one line per connection or persistence template, addresses in hex (IPv4) or in full
// colon form (IPv6), ports in hex, the state name and the seconds left. Pure; any thread.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "dataplane/dataplane.h"

namespace keel::dataplane::ipvs {

// Up to `limit` connections of `text` in its order. A line that does not parse (a protocol keel
// has no name for, such as a fwmark template's "IP") is skipped; `*skipped` counts them.
std::vector<Connection> parseConnections(std::string_view text, std::size_t limit,
                                         std::size_t* skipped = nullptr);

}  // namespace keel::dataplane::ipvs
