// Which data planes keeld tries, in order, for `keel_dataplane` (docs/dataplane.md, "Choosing a
// data plane"): auto tries XDP, then IPVS (when the kernel has ip_vs), then the proxy; as a
// non-root user only the proxy can run. Pure; any thread. (A small function on purpose: the
// data-plane factory takes it over.)
#pragma once

#include <string_view>
#include <vector>

#include "model/global_defs.h"

namespace keel::app {

enum class Backend { Xdp, Ipvs, Proxy };

std::vector<Backend> backendOrder(model::DataplaneKind kind, bool root);
std::string_view backendName(Backend b);

}  // namespace keel::app
