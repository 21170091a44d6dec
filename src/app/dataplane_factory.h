// The one place that knows the data-plane backends (docs/design.md §4, docs/dataplane.md
// "Choosing it"): makeDataplane() picks one by the configuration's keel_dataplane and returns it
// behind dataplane::Dataplane; the rest of keeld talks only to that interface. Adding a backend
// touches this file and the backend's own folder. Called by the daemon on the control-plane loop.
#pragma once

#include <cstddef>
#include <memory>

#include "dataplane/dataplane.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::app {

struct DataplaneOptions {
  bool keep_attached = false;  // keeld -I: XDP stays attached and forwarding after keeld stops
  // The proxy's cap on TCP connections plus UDP sessions (a TCP connection holds two
  // descriptors, a UDP session one): the data plane's share of keeld's descriptor budget.
  std::size_t proxy_max_flows = 20000;
};

// The data plane `config` asks for: xdp, proxy, or auto (XDP when root and the program loads,
// else the proxy). nullptr, with the reason logged, when there is no virtual server or the chosen
// backend cannot run.
std::unique_ptr<dataplane::Dataplane> makeDataplane(
    event::Loop& loop, const std::shared_ptr<const model::Config>& config,
    const DataplaneOptions& options);

}  // namespace keel::app
