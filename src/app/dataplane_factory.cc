#include "app/dataplane_factory.h"

#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "dataplane/ipvs/ipvs_dataplane.h"
#include "dataplane/proxy/proxy_dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"

namespace keel::app {

namespace {

using DataplanePtr = std::unique_ptr<dataplane::Dataplane>;

base::Result<DataplanePtr> startProxy(const model::Config& config,
                                      const DataplaneOptions& options) {
  dataplane::proxy::Limits limits;
  limits.max_flows = options.proxy_max_flows;
  limits.client_prefix_v4 = config.global.proxy_client_prefix4;
  limits.client_prefix_v6 = config.global.proxy_client_prefix6;
  auto proxy = dataplane::proxy::ProxyDataplane::start(
      static_cast<std::size_t>(std::max(0, config.global.proxy_workers)), limits);
  if (!proxy) return proxy.error();
  base::logInfo("Proxy data plane started with {} workers", (*proxy)->workerCount());
  return DataplanePtr(std::move(*proxy));
}

base::Result<DataplanePtr> startXdp(event::Loop& loop, std::shared_ptr<const model::Config> config,
                                    const DataplaneOptions& options) {
  auto xdp = dataplane::xdp::XdpDataplane::start(loop, std::move(config),
                                                 {.keep_attached = options.keep_attached});
  if (!xdp) return xdp.error();
  return DataplanePtr(std::move(*xdp));
}

base::Result<DataplanePtr> startIpvs(std::shared_ptr<const model::Config> config,
                                     const DataplaneOptions& options) {
  namespace ipvs = dataplane::ipvs;
  ipvs::IpvsOptions ipvs_options = ipvs::optionsOf(*config, options.keep_attached);
  auto dp = ipvs::IpvsDataplane::start(std::move(config), std::move(ipvs_options));
  if (!dp) return dp.error();
  return DataplanePtr(std::move(*dp));
}

base::Result<DataplanePtr> startBackend(Backend backend, event::Loop& loop,
                                        const std::shared_ptr<const model::Config>& config,
                                        const DataplaneOptions& options) {
  switch (backend) {
    case Backend::Xdp:
      return startXdp(loop, config, options);
    case Backend::Ipvs:
      return startIpvs(config, options);
    case Backend::Proxy:
      break;
  }
  return startProxy(*config, options);
}

}  // namespace

std::vector<Backend> backendOrder(model::DataplaneKind kind, bool root) {
  switch (kind) {
    case model::DataplaneKind::Xdp:
      return root ? std::vector<Backend>{Backend::Xdp} : std::vector<Backend>{};
    case model::DataplaneKind::Ipvs:
      return root ? std::vector<Backend>{Backend::Ipvs} : std::vector<Backend>{};
    case model::DataplaneKind::Proxy:
      return {Backend::Proxy};
    case model::DataplaneKind::Auto:
      break;
  }
  if (!root) return {Backend::Proxy};
  return {Backend::Xdp, Backend::Ipvs, Backend::Proxy};
}

std::string_view backendName(Backend backend) {
  switch (backend) {
    case Backend::Xdp:
      return "xdp";
    case Backend::Ipvs:
      return "ipvs";
    case Backend::Proxy:
      break;
  }
  return "proxy";
}

std::unique_ptr<dataplane::Dataplane> makeDataplane(
    event::Loop& loop, const std::shared_ptr<const model::Config>& config,
    const DataplaneOptions& options) {
  if (config->virtual_servers.empty()) return nullptr;
  const model::DataplaneKind kind = config->global.dataplane;
  const bool root = ::geteuid() == 0;
  const std::vector<Backend> order = backendOrder(kind, root);
  if (order.empty()) {
    base::logWarning("keel_dataplane {} needs root: virtual servers are not forwarded",
                     kind == model::DataplaneKind::Xdp ? "xdp" : "ipvs");
    return nullptr;
  }
  if (!root && kind == model::DataplaneKind::Auto) {
    base::logInfo("Not running as root: the proxy data plane forwards the virtual servers");
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto dp = startBackend(order[i], loop, config, options);
    if (dp) return std::move(*dp);
    if (i + 1 < order.size()) {
      base::logInfo("{}: trying the {} data plane", dp.error().str(), backendName(order[i + 1]));
    } else {
      base::logWarning(
          "keel_dataplane {}: {} data plane not started: {}; virtual servers are not "
          "forwarded",
          kind == model::DataplaneKind::Auto ? "auto" : backendName(order[i]),
          backendName(order[i]), dp.error().str());
    }
  }
  return nullptr;
}

}  // namespace keel::app
