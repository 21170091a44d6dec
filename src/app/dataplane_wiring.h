// keeld's data plane (docs/design.md §4), chosen by `keel_dataplane` (docs/dataplane.md): XDP loads
// the program when there is a virtual server and keeld runs as root, attaches it to the
// interfaces that carry the VIPs, and watches netlink to re-apply the last table when a real's
// next hop changes; the proxy starts its worker threads. Either applies every desired
// ServiceTable it is given. Created by runDaemon on the control-plane loop; loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/service_table.h"
#include "event/loop.h"
#include "model/config.h"
#include "net/rtnetlink.h"

namespace keel::dataplane::xdp {
class EgressResolver;
class XdpProgram;
class BpfMapIo;
class XdpDataplane;
}  // namespace keel::dataplane::xdp
namespace keel::dataplane::proxy {
class ProxyDataplane;
}  // namespace keel::dataplane::proxy
namespace keel::dataplane::ipvs {
class IpvsDataplane;
}  // namespace keel::dataplane::ipvs

namespace keel::app {

class Services;

// An interface to attach to and why it was chosen.
struct VipInterface {
  int index = 0;
  std::string name;
  std::string reason;  // "VRRP instance VI_1 holds 198.18.0.100", "subnet 198.18.0.0/24", ...
};

// The interfaces that carry the VIPs of `table`'s services: the interface of the VRRP instance
// whose virtual_ipaddress holds the VIP, else the interface with a subnet containing it, else the
// route to it. A VIP none of them finds is logged and skipped.
std::vector<VipInterface> vipInterfaces(const model::Config& config,
                                        const dataplane::ServiceTable& table, net::Rtnetlink& nl);

class DataplaneWiring {
 public:
  // The data plane `config`'s keel_dataplane asks for: xdp, ipvs, proxy, or auto (XDP when root
  // and the program loads, else IPVS when the kernel has ip_vs, else the proxy; see
  // dataplane_choice.h). nullptr, with the reason logged, when there is no virtual server or the
  // chosen backend cannot run. `keep_attached` (-I) leaves the XDP program attached, or keel's
  // IPVS services in place, on stop.
  static std::unique_ptr<DataplaneWiring> start(event::Loop& loop, const model::Config& config,
                                                bool keep_attached);
  ~DataplaneWiring();
  DataplaneWiring(const DataplaneWiring&) = delete;
  DataplaneWiring& operator=(const DataplaneWiring&) = delete;

  // At start, after every health change and on reload: attach to any new VIP interface, then
  // reconcile the maps to `table`. Errors are logged; the next apply starts from what the maps
  // hold.
  void apply(std::shared_ptr<const dataplane::ServiceTable> table);

  // SIGHUP: the configuration whose VRRP instances name the VIP interfaces.
  void reload(const model::Config& config);

  // A VRRP instance is MASTER (`master`) or not: with the IPVS data plane and lvs_sync_daemon
  // naming that instance, the kernel's sync daemon runs as master or backup (keepalived's
  // handover).
  void vrrpState(const std::string& instance, bool master);

  // The running backend, XDP or proxy, for the views and metrics (its stats(), counters(),
  // connections()).
  const dataplane::Dataplane& dataplane() const;

  // For keel.stats (SIGUSR2): per service and per real counters, then the named drop, pass and
  // event counters, one "name value" per line.
  std::string statsText() const;

 private:
  DataplaneWiring(event::Loop& loop, net::Rtnetlink nl, const model::Config& config);
  DataplaneWiring(event::Loop& loop, const model::Config& config);
  static std::unique_ptr<DataplaneWiring> startXdp(event::Loop& loop, const model::Config& config,
                                                   bool keep_attached);
  static std::unique_ptr<DataplaneWiring> startProxy(event::Loop& loop,
                                                     const model::Config& config);
  static std::unique_ptr<DataplaneWiring> startIpvs(event::Loop& loop, const model::Config& config,
                                                    bool keep_attached);
  void onNetlink();

  event::Loop& loop_;
  std::unique_ptr<net::Rtnetlink> nl_;
  model::Config config_;
  std::unique_ptr<dataplane::xdp::EgressResolver> egress_;
  std::unique_ptr<dataplane::xdp::XdpProgram> program_;
  std::unique_ptr<dataplane::xdp::BpfMapIo> maps_;
  std::unique_ptr<dataplane::xdp::XdpDataplane> dataplane_;
  std::unique_ptr<dataplane::proxy::ProxyDataplane> proxy_;  // instead of the four above
  std::unique_ptr<dataplane::ipvs::IpvsDataplane> ipvs_;     // or this
  std::shared_ptr<const dataplane::ServiceTable> table_;
};

// keeld's one call, at start and after each reload: starts the data plane for `config` if it is
// not running (and may run), tells it the configuration, and applies `services`' current desired
// table. Later tables arrive through Services' OnTable (see tableSink()). Either may be null.
void syncDataplane(std::unique_ptr<DataplaneWiring>& dataplane, Services* services,
                   event::Loop& loop, const model::Config& config, bool keep_attached);

// Services' OnTable for keeld: applies each new table to `*dataplane` while there is one.
// REQUIRES: `dataplane` (the pointer variable) outlives the Services that holds this.
std::function<void(std::shared_ptr<const dataplane::ServiceTable>)> tableSink(
    const std::unique_ptr<DataplaneWiring>& dataplane);

}  // namespace keel::app
