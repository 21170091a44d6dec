// The one place that knows the data-plane backends (docs/design.md §4, docs/dataplane.md
// "Choosing a data plane"): makeDataplane() picks one by the configuration's keel_dataplane and
// returns it behind dataplane::Dataplane; the rest of keeld talks only to that interface. Adding a
// backend touches this file and the backend's own folder. backendOrder() is the pure part, the
// order in which backends are tried. Called by the daemon on the control-plane loop.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/dataplane.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::app {

struct DataplaneOptions {
  // keeld -I: XDP stays attached and forwarding, keel's IPVS services stay, after keeld stops
  bool keep_attached = false;
  // The proxy's cap on TCP connections plus UDP sessions (a TCP connection holds two
  // descriptors, a UDP session one): the data plane's share of keeld's descriptor budget.
  std::size_t proxy_max_flows = 20000;
};

enum class Backend { Xdp, Ipvs, Proxy };

// The backends tried, in order, for `kind`: auto tries XDP, then IPVS (when the kernel has ip_vs),
// then the proxy, and as a non-root user only the proxy; an explicit choice is that backend or
// nothing (xdp and ipvs need root). Pure; any thread.
std::vector<Backend> backendOrder(model::DataplaneKind kind, bool root);
std::string_view backendName(Backend backend);  // "xdp", "ipvs", "proxy"

// The data plane `config` asks for: the first of backendOrder() that starts. nullptr, with the
// reason logged, when there is no virtual server or no backend can run.
std::unique_ptr<dataplane::Dataplane> makeDataplane(
    event::Loop& loop, const std::shared_ptr<const model::Config>& config,
    const DataplaneOptions& options);

}  // namespace keel::app
