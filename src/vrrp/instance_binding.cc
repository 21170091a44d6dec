// Instance (instance.h): binding to the interface — the link, the source address and the
// sockets — and following the interface through netlink events.
#include <sys/epoll.h>

#include <algorithm>

#include "base/log.h"
#include "vrrp/instance.h"

namespace keel::vrrp {

namespace {

bool isV6(const model::VrrpInstance& c) {
  return !c.virtual_ipaddress.empty() && c.virtual_ipaddress[0].address.address().isV6();
}

}  // namespace

void Instance::bind() {
  rebind_timer_.disarm();
  std::optional<std::string> why = findLink();
  if (!why) why = chooseSource();
  if (why) {
    unbind(*why);
    return;
  }
  if (auto failed = openSockets()) {
    unbind(*failed);
    rebind_timer_.armAfter(kRebindRetry, [this] { bind(); });
    return;
  }
  setBindFault({});
}

// FAULT first, while the sockets are still open: a MASTER's priority-0 advert goes out if it
// still can. The sockets close after.
void Instance::unbind(const std::string& reason) {
  setBindFault(reason);
  closeSockets();
}

void Instance::setBindFault(const std::string& reason) {
  if (reason == bind_fault_) return;
  if (!reason.empty()) {
    base::logWarning("({}) {}", name(), reason);
  } else {
    base::logInfo("({}) Bound to {} (source {})", name(), config_.interface, source_.str());
  }
  bind_fault_ = reason;
  applyFault();
}

std::optional<std::string> Instance::findLink() {
  const net::Link* link = ctx_.host->link(config_.interface);
  if (link == nullptr) {
    ifindex_ = 0;
    return fmt::format("interface {} not found", config_.interface);
  }
  if (link->loopback) {  // as keepalived: adverts on loopback reach no peer
    return fmt::format("cannot use a loopback interface ({}) for vrrp", config_.interface);
  }
  if (link->index != ifindex_ && socket_) closeSockets();  // re-created: a new index
  ifindex_ = link->index;
  if (link->mac.size() == mac_.size()) std::copy(link->mac.begin(), link->mac.end(), mac_.begin());
  return std::nullopt;
}

// The address adverts leave from: unicast_src_ip (which must be an address of this host), else
// the interface's first IPv4 address that is not a VIP, or for IPv6 its link-local address
// (RFC 5798 §5.1.2.2).
std::optional<std::string> Instance::chooseSource() {
  std::optional<base::IpAddress> next;
  if (config_.unicast_src_ip) {
    if (!ctx_.host->isLocal(*config_.unicast_src_ip)) {
      return fmt::format("unicast_src_ip {} is not an address of this host",
                         config_.unicast_src_ip->str());
    }
    next = *config_.unicast_src_ip;
  } else {
    const bool v6 = isV6(config_);
    for (const base::IpAddress& a : ctx_.host->sourceCandidates(ifindex_, v6)) {
      if (!ctx_.is_vip || !ctx_.is_vip(a)) {
        next = a;
        break;
      }
    }
    if (!next) {
      return fmt::format("no {} address on interface {}", v6 ? "link-local IPv6" : "IPv4",
                         config_.interface);
    }
  }
  if (*next != source_) {
    if (socket_) closeSockets();  // they send from the old address
    source_ = *next;
    perform(machine_.reconfigure(params()));
  }
  return std::nullopt;
}

std::optional<std::string> Instance::openSockets() {
  if (socket_) return std::nullopt;  // still bound to this interface and address
  const bool v6 = source_.isV6();
  auto socket =
      ctx_.sockets->openIp({kVrrpProtocol, config_.interface, ifindex_, source_, v6 ? 6 : -1});
  if (!socket) return socket.error().str();
  std::vector<base::IpAddress> destinations;
  if (config_.unicast_peer.empty()) {
    const base::IpAddress group =
        v6 ? ctx_.globals->vrrp_mcast_group6 : ctx_.globals->vrrp_mcast_group4;
    if (auto joined = (*socket)->join(group); !joined) return joined.error().str();
    destinations = {group};
  } else {
    for (const model::UnicastPeer& p : config_.unicast_peer) destinations.push_back(p.address);
  }
  auto frames = ctx_.sockets->openFrames(ifindex_);
  if (!frames) return frames.error().str();
  const int fd = (*socket)->fd();
  if (auto watched = ctx_.loop->watch(fd, EPOLLIN, [this](std::uint32_t) { onReadable(); });
      !watched) {
    return watched.error().str();
  }
  socket_ = std::move(*socket);
  frames_ = std::move(*frames);
  destinations_ = std::move(destinations);
  return std::nullopt;
}

void Instance::closeSockets() {
  if (socket_) ctx_.loop->unwatch(socket_->fd());
  socket_.reset();
  frames_.reset();
}

int Instance::indexOf(const model::VirtualIp& vip) const {
  if (vip.dev.empty() || vip.dev == config_.interface) return ifindex_;
  const net::Link* link = ctx_.host->link(vip.dev);
  return link != nullptr ? link->index : 0;
}

void Instance::onLinkChanged(const net::Link& link) {
  if (link.name != config_.interface) return;
  if (!bound() || link.index != ifindex_) {
    bind();  // appeared, or re-created with a new index
  } else if (link.mac.size() == mac_.size()) {
    std::copy(link.mac.begin(), link.mac.end(), mac_.begin());
  }
}

void Instance::onLinkRemoved(const net::Link& link) {
  if (link.name != config_.interface && link.index != ifindex_) return;
  ifindex_ = 0;
  unbind(fmt::format("interface {} removed", config_.interface));
}

void Instance::onAddress(const net::AddressEntry& address, bool added) {
  const base::IpAddress& a = address.prefix.address();
  if (added) {
    if (!bound() && (address.index == ifindex_ || config_.unicast_src_ip == a)) bind();
    return;
  }
  if (bound() && a == source_) bind();  // picks another address, or FAULT
}

}  // namespace keel::vrrp
