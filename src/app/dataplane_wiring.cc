#include "app/dataplane_wiring.h"

#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "app/dataplane_choice.h"
#include "app/services.h"
#include "base/log.h"
#include "dataplane/ipvs/ipvs_dataplane.h"
#include "dataplane/proxy/proxy_dataplane.h"
#include "dataplane/xdp/bpf_map_io.h"
#include "dataplane/xdp/egress.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "dataplane/xdp/xdp_program.h"

namespace keel::app {

namespace {

std::optional<VipInterface> byVrrp(const model::Config& config, const base::IpAddress& vip,
                                   net::Rtnetlink& nl) {
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded}) {
      for (const model::VirtualIp& v : *list) {
        if (v.address.address() != vip) continue;
        const std::string& dev = v.dev.empty() ? vi.interface : v.dev;
        auto link = nl.link(dev);
        if (!link) continue;
        return VipInterface{link->index, dev,
                            fmt::format("VRRP instance {} holds {}", vi.name, vip.str())};
      }
    }
  }
  return std::nullopt;
}

std::optional<VipInterface> bySubnet(const base::IpAddress& vip,
                                     const std::vector<net::AddressEntry>& addresses,
                                     const std::vector<net::Link>& links) {
  for (const net::AddressEntry& a : addresses) {
    if (a.prefix.length() == a.prefix.address().maxPrefixLength()) continue;  // a host address
    if (!a.prefix.network().contains(vip)) continue;
    for (const net::Link& l : links) {
      if (l.index == a.index && !l.loopback) {
        return VipInterface{l.index, l.name, fmt::format("subnet {}", a.prefix.network().str())};
      }
    }
  }
  return std::nullopt;
}

std::optional<VipInterface> byRoute(const base::IpAddress& vip, net::Rtnetlink& nl,
                                    const std::vector<net::Link>& links) {
  auto hop = nl.route(vip);
  if (!hop || hop->local) return std::nullopt;
  for (const net::Link& l : links) {
    if (l.index == hop->index && !l.loopback) {
      return VipInterface{l.index, l.name, fmt::format("the route to {}", vip.str())};
    }
  }
  return std::nullopt;
}

// keel_config with the tunnel sources: the first global address of each family on the VIP
// interfaces that is not itself a VIP (a TUN packet's outer source is the director).
keel_config tunnelConfig(const std::vector<VipInterface>& interfaces,
                         const dataplane::ServiceTable& table, net::Rtnetlink& nl) {
  keel_config c = dataplane::xdp::defaultConfig();
  auto addresses = nl.addresses(AF_UNSPEC);
  if (!addresses) return c;
  std::set<base::IpAddress> vips;
  for (const dataplane::ServicePtr& s : table.services) vips.insert(s->key.address);
  bool have4 = false;
  bool have6 = false;
  for (const VipInterface& i : interfaces) {
    for (const net::AddressEntry& a : *addresses) {
      const base::IpAddress& addr = a.prefix.address();
      if (a.index != i.index || vips.count(addr) != 0 || addr.isLinkLocal()) continue;
      if (addr.isV4() && !have4) {
        std::copy(addr.bytes().begin(), addr.bytes().end(), c.tun_src_v4);
        have4 = true;
      } else if (addr.isV6() && !have6) {
        std::copy(addr.bytes().begin(), addr.bytes().end(), c.tun_src_v6);
        have6 = true;
      }
    }
  }
  return c;
}

}  // namespace

std::vector<VipInterface> vipInterfaces(const model::Config& config,
                                        const dataplane::ServiceTable& table, net::Rtnetlink& nl) {
  auto links = nl.links();
  auto addresses = nl.addresses(AF_UNSPEC);
  if (!links || !addresses) {
    base::logError("Cannot read the interfaces: {}",
                   (!links ? links.error() : addresses.error()).str());
    return {};
  }
  std::vector<VipInterface> out;
  std::set<int> seen;
  std::set<base::IpAddress> vips;
  for (const dataplane::ServicePtr& s : table.services) {
    if (!s->key.isFwmark()) vips.insert(s->key.address);
  }
  for (const base::IpAddress& vip : vips) {
    auto found = byVrrp(config, vip, nl);
    if (!found) found = bySubnet(vip, *addresses, *links);
    if (!found) found = byRoute(vip, nl, *links);
    if (!found) {
      base::logWarning("No interface carries VIP {}; XDP does not see its traffic", vip.str());
      continue;
    }
    if (seen.insert(found->index).second) out.push_back(std::move(*found));
  }
  return out;
}

std::unique_ptr<DataplaneWiring> DataplaneWiring::start(event::Loop& loop,
                                                        const model::Config& config,
                                                        bool keep_attached) {
  if (config.virtual_servers.empty()) return nullptr;
  const bool root = ::geteuid() == 0;
  const std::vector<Backend> order = backendOrder(config.global.dataplane, root);
  if (order.empty()) {
    base::logWarning("keel_dataplane {} needs root: virtual servers are not forwarded",
                     config.global.dataplane == model::DataplaneKind::Xdp ? "xdp" : "ipvs");
    return nullptr;
  }
  if (!root && config.global.dataplane == model::DataplaneKind::Auto) {
    base::logInfo("Not running as root: the proxy data plane forwards the virtual servers");
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::unique_ptr<DataplaneWiring> w;
    switch (order[i]) {
      case Backend::Xdp:
        w = startXdp(loop, config, keep_attached);
        break;
      case Backend::Ipvs:
        w = startIpvs(loop, config, keep_attached);
        break;
      case Backend::Proxy:
        w = startProxy(loop, config);
        break;
    }
    if (w) return w;
    if (i + 1 < order.size()) {
      base::logInfo("{} unavailable: trying the {} data plane", backendName(order[i]),
                    backendName(order[i + 1]));
    }
  }
  return nullptr;
}

namespace {

// `modprobe -q ip_vs`, as keepalived does when IPVS is missing; false when it fails.
bool loadIpvsModule() {
  const char* argv[] = {"/sbin/modprobe", "-q", "ip_vs", nullptr};
  pid_t pid = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's argv is char* const*
  if (::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0) {
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

dataplane::ipvs::IpvsOptions ipvsOptions(const model::Config& config, bool keep_attached) {
  dataplane::ipvs::IpvsOptions o;
  o.flush_at_start = config.global.lvs_flush;
  o.flush_at_stop = config.global.lvs_flush_on_stop;
  o.keep_at_stop = keep_attached;
  const model::LvsTimeouts& t = config.global.lvs_timeouts;
  o.timeouts = {static_cast<std::uint32_t>(t.tcp), static_cast<std::uint32_t>(t.tcp_fin),
                static_cast<std::uint32_t>(t.udp)};
  return o;
}

}  // namespace

std::unique_ptr<DataplaneWiring> DataplaneWiring::startIpvs(event::Loop& loop,
                                                            const model::Config& config,
                                                            bool keep_attached) {
  auto ipvs = dataplane::ipvs::IpvsDataplane::start(ipvsOptions(config, keep_attached));
  if (!ipvs && ipvs.error().code == base::ErrorCode::NotFound && loadIpvsModule()) {
    ipvs = dataplane::ipvs::IpvsDataplane::start(ipvsOptions(config, keep_attached));
  }
  if (!ipvs) {
    base::logError("IPVS data plane not started: {}", ipvs.error().str());
    return nullptr;
  }
  std::unique_ptr<DataplaneWiring> w(new DataplaneWiring(loop, config));
  w->ipvs_ = std::move(*ipvs);
  base::logInfo("IPVS data plane started (connection table size {})", w->ipvs_->tableSize());
  return w;
}

std::unique_ptr<DataplaneWiring> DataplaneWiring::startProxy(event::Loop& loop,
                                                             const model::Config& config) {
  auto proxy = dataplane::proxy::ProxyDataplane::start(
      static_cast<std::size_t>(std::max(0, config.global.proxy_workers)));
  if (!proxy) {
    base::logError("Proxy data plane not started: {}", proxy.error().str());
    return nullptr;
  }
  std::unique_ptr<DataplaneWiring> w(new DataplaneWiring(loop, config));
  w->proxy_ = std::move(*proxy);
  base::logInfo("Proxy data plane started with {} workers", w->proxy_->workerCount());
  return w;
}

std::unique_ptr<DataplaneWiring> DataplaneWiring::startXdp(event::Loop& loop,
                                                           const model::Config& config,
                                                           bool keep_attached) {
  auto nl = net::Rtnetlink::open(true, true);
  if (!nl) {
    base::logError("XDP data plane not started: {}", nl.error().str());
    return nullptr;
  }
  std::unique_ptr<DataplaneWiring> w(new DataplaneWiring(loop, std::move(*nl), config));
  auto program = dataplane::xdp::XdpProgram::load(dataplane::xdp::defaultConfig());
  if (!program) {
    base::logError("XDP data plane not started: {}", program.error().str());
    return nullptr;
  }
  w->program_ = std::move(*program);
  if (keep_attached) w->program_->keepAttached();
  w->maps_ = std::make_unique<dataplane::xdp::BpfMapIo>(w->program_->mapFds());
  w->dataplane_ = std::make_unique<dataplane::xdp::XdpDataplane>(
      *w->maps_, [egress = w->egress_.get()](const dataplane::Real& real, std::string* why) {
        return egress->lookup(real, why);
      });
  if (auto s = loop.watch(w->nl_->eventFd(), EPOLLIN,
                          [raw = w.get()](std::uint32_t) { raw->onNetlink(); });
      !s) {
    base::logWarning("Cannot watch netlink events ({}); real servers' MAC changes are not followed",
                     s.error().str());
  }
  base::logInfo("XDP data plane loaded");
  return w;
}

DataplaneWiring::DataplaneWiring(event::Loop& loop, net::Rtnetlink nl, const model::Config& config)
    : loop_(loop),
      nl_(std::make_unique<net::Rtnetlink>(std::move(nl))),
      config_(config),
      egress_(std::make_unique<dataplane::xdp::EgressResolver>(*nl_)) {}

DataplaneWiring::DataplaneWiring(event::Loop& loop, const model::Config& config)
    : loop_(loop), config_(config) {}

DataplaneWiring::~DataplaneWiring() {
  if (nl_ && nl_->eventFd() >= 0) loop_.unwatch(nl_->eventFd());
}

void DataplaneWiring::apply(std::shared_ptr<const dataplane::ServiceTable> table) {
  table_ = std::move(table);
  if (!table_) return;
  if (proxy_ || ipvs_) {
    dataplane::Dataplane& backend = proxy_ ? static_cast<dataplane::Dataplane&>(*proxy_) : *ipvs_;
    if (auto s = backend.apply(table_); !s) base::logError("{}", s.error().str());
    return;
  }
  const std::vector<VipInterface> interfaces = vipInterfaces(config_, *table_, *nl_);
  for (const VipInterface& i : interfaces) {
    auto mode = program_->attach(i.index, i.name);
    if (!mode) base::logError("{} (chosen by {})", mode.error().str(), i.reason);
  }
  dataplane_->setConfig(tunnelConfig(interfaces, *table_, *nl_));
  if (auto s = dataplane_->apply(table_); !s) base::logError("{}", s.error().str());
}

void DataplaneWiring::reload(const model::Config& config) { config_ = config; }

void DataplaneWiring::vrrpState(const std::string& instance, bool master) {
  const auto& sync = config_.global.lvs_sync_daemon;
  if (!ipvs_ || !sync || sync->instance != instance) return;
  dataplane::ipvs::SyncDaemon d;
  d.state = master ? dataplane::ipvs::kSyncMaster : dataplane::ipvs::kSyncBackup;
  d.interface = sync->interface;
  d.sync_id = static_cast<std::uint32_t>(sync->sync_id.value_or(0));
  if (!sync->sync_id) {
    for (const model::VrrpInstance& vi : config_.vrrp_instances) {
      if (vi.name == instance) d.sync_id = static_cast<std::uint32_t>(vi.virtual_router_id);
    }
  }
  d.max_len = static_cast<std::uint16_t>(sync->max_len);
  d.port = static_cast<std::uint16_t>(sync->port);
  d.ttl = static_cast<std::uint8_t>(sync->ttl);
  d.group = sync->group;
  if (auto s = ipvs_->setSyncRole(d); !s) {
    base::logError("{}", s.error().str());
    return;
  }
  base::logInfo("IPVS sync daemon: {} on {} (syncid {}) for {}", master ? "master" : "backup",
                d.interface, d.sync_id, instance);
}

const dataplane::Dataplane& DataplaneWiring::dataplane() const {
  if (proxy_) return *proxy_;
  if (ipvs_) return *ipvs_;
  return *dataplane_;
}

std::string DataplaneWiring::statsText() const {
  auto line = [](const dataplane::Counters& s) {
    return fmt::format("conns {} in_packets {} in_bytes {} out_packets {} out_bytes {}", s.conns,
                       s.in_packets, s.in_bytes, s.out_packets, s.out_bytes);
  };
  const dataplane::Dataplane& backend = dataplane();
  std::string out = backend.name() == "proxy"  ? "Proxy data plane\n"
                    : backend.name() == "ipvs" ? "IPVS data plane\n"
                                               : "XDP data plane\n";
  if (auto stats = backend.stats()) {
    for (const dataplane::ServiceStats& s : *stats) {
      out += fmt::format(" Service {} {}\n", s.key.str(), line(s.counters));
      for (const dataplane::RealStats& r : s.reals) {
        out += fmt::format("  Real {} {}", r.key.str(), line(r.counters));
        if (r.active_conns && r.inactive_conns) {
          out += fmt::format(" active {} inactive {}", *r.active_conns, *r.inactive_conns);
        }
        out += "\n";
      }
    }
  } else {
    out += fmt::format(" statistics unavailable: {}\n", stats.error().str());
  }
  if (auto counters = backend.counters()) {
    for (const auto& [name, value] : *counters) out += fmt::format(" {} {}\n", name, value);
  }
  return out;
}

void DataplaneWiring::onNetlink() {
  bool changed = false;
  auto s = nl_->readEvents([&](const net::NetEvent& e) { changed |= egress_->onEvent(e); });
  if (!s) {
    // Lost events (ENOBUFS): forget the caches and read the kernel's state again.
    egress_->reset();
    changed = true;
  }
  if (changed && dataplane_) {
    if (auto r = dataplane_->refresh(); !r) base::logError("{}", r.error().str());
  }
}

void syncDataplane(std::unique_ptr<DataplaneWiring>& dataplane, Services* services,
                   event::Loop& loop, const model::Config& config, bool keep_attached) {
  if (!dataplane) {
    dataplane = DataplaneWiring::start(loop, config, keep_attached);
  } else {
    dataplane->reload(config);
  }
  if (dataplane && services != nullptr) dataplane->apply(services->desired().table());
}

std::function<void(std::shared_ptr<const dataplane::ServiceTable>)> tableSink(
    const std::unique_ptr<DataplaneWiring>& dataplane) {
  return [&dataplane](std::shared_ptr<const dataplane::ServiceTable> table) {
    if (dataplane) dataplane->apply(std::move(table));
  };
}

}  // namespace keel::app
