#include "vrrp/host_view.h"

#include <algorithm>

namespace keel::vrrp {

base::Status HostView::read(net::Netlink& netlink) {
  auto links = netlink.links();
  if (!links) return links.error();
  auto addresses = netlink.addresses(0);
  if (!addresses) return addresses.error();
  links_.clear();
  for (net::Link& l : *links) {
    const int index = l.index;
    links_[index] = std::move(l);
  }
  addresses_ = std::move(*addresses);
  return base::ok();
}

void HostView::apply(const net::NetEvent& event) {
  using Kind = net::NetEvent::Kind;
  const net::AddressEntry& a = event.address;
  auto same = [&](const net::AddressEntry& e) {
    return e.index == a.index && e.prefix.address() == a.prefix.address();
  };
  switch (event.kind) {
    case Kind::LinkChanged:
      links_[event.link.index] = event.link;
      break;
    case Kind::LinkRemoved:
      links_.erase(event.link.index);
      std::erase_if(addresses_,
                    [&](const net::AddressEntry& e) { return e.index == event.link.index; });
      break;
    case Kind::AddressAdded:
      std::erase_if(addresses_, same);
      addresses_.push_back(a);
      break;
    case Kind::AddressRemoved:
      std::erase_if(addresses_, same);
      break;
    case Kind::NeighbourChanged:
    case Kind::NeighbourRemoved:
      break;
  }
}

const net::Link* HostView::link(const std::string& name) const {
  for (const auto& [index, l] : links_) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

bool HostView::linkUp(const std::string& name) const {
  const net::Link* l = link(name);
  return l != nullptr && l->up && l->running;
}

std::vector<base::Prefix> HostView::prefixes(int index) const {
  std::vector<base::Prefix> out;
  for (const net::AddressEntry& a : addresses_) {
    if (a.index == index) out.push_back(a.prefix);
  }
  return out;
}

std::vector<base::IpAddress> HostView::localAddresses() const {
  std::vector<base::IpAddress> out;
  out.reserve(addresses_.size());
  for (const net::AddressEntry& a : addresses_) out.push_back(a.prefix.address());
  return out;
}

bool HostView::isLocal(const base::IpAddress& address) const {
  return std::any_of(addresses_.begin(), addresses_.end(),
                     [&](const net::AddressEntry& a) { return a.prefix.address() == address; });
}

std::vector<base::IpAddress> HostView::sourceCandidates(int index, bool v6) const {
  std::vector<base::IpAddress> out;
  for (const net::AddressEntry& a : addresses_) {
    const base::IpAddress& ip = a.prefix.address();
    if (a.index == index && ip.isV6() == v6 && (!v6 || ip.isLinkLocal())) out.push_back(ip);
  }
  return out;
}

}  // namespace keel::vrrp
