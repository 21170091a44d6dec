#include "app/dataplane_factory.h"

#include <algorithm>

#include "base/log.h"
#include "dataplane/proxy/proxy_dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"

namespace keel::app {

namespace {

std::unique_ptr<dataplane::Dataplane> startProxy(const model::Config& config,
                                                 const DataplaneOptions& options) {
  dataplane::proxy::Limits limits;
  limits.max_flows = options.proxy_max_flows;
  limits.client_prefix_v4 = config.global.proxy_client_prefix4;
  limits.client_prefix_v6 = config.global.proxy_client_prefix6;
  auto proxy = dataplane::proxy::ProxyDataplane::start(
      static_cast<std::size_t>(std::max(0, config.global.proxy_workers)), limits);
  if (!proxy) {
    base::logError("Proxy data plane not started: {}", proxy.error().str());
    return nullptr;
  }
  base::logInfo("Proxy data plane started with {} workers", (*proxy)->workerCount());
  return std::move(*proxy);
}

base::Result<std::unique_ptr<dataplane::Dataplane>> startXdp(
    event::Loop& loop, std::shared_ptr<const model::Config> config,
    const DataplaneOptions& options) {
  auto xdp = dataplane::xdp::XdpDataplane::start(loop, std::move(config),
                                                 {.keep_attached = options.keep_attached});
  if (!xdp) return xdp.error();
  return std::unique_ptr<dataplane::Dataplane>(std::move(*xdp));
}

}  // namespace

std::unique_ptr<dataplane::Dataplane> makeDataplane(
    event::Loop& loop, const std::shared_ptr<const model::Config>& config,
    const DataplaneOptions& options) {
  if (config->virtual_servers.empty()) return nullptr;
  switch (config->global.dataplane) {
    case model::DataplaneKind::Proxy:
      return startProxy(*config, options);
    case model::DataplaneKind::Xdp: {
      auto xdp = startXdp(loop, config, options);
      if (xdp) return std::move(*xdp);
      base::logWarning("keel_dataplane xdp: {}; virtual servers are not forwarded",
                       xdp.error().str());
      return nullptr;
    }
    case model::DataplaneKind::Auto:
      break;
  }
  auto xdp = startXdp(loop, config, options);
  if (xdp) return std::move(*xdp);
  base::logInfo("{}: the proxy data plane forwards the virtual servers", xdp.error().str());
  return startProxy(*config, options);
}

}  // namespace keel::app
