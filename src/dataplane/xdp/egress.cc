#include "dataplane/xdp/egress.h"

#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

namespace keel::dataplane::xdp {

namespace {

std::optional<std::array<std::uint8_t, 6>> mac6(const std::vector<std::uint8_t>& mac) {
  if (mac.size() != 6) return std::nullopt;
  std::array<std::uint8_t, 6> out{};
  std::copy(mac.begin(), mac.end(), out.begin());
  return out;
}

void say(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

}  // namespace

std::optional<std::array<std::uint8_t, 6>> EgressResolver::linkMac(int index) {
  if (auto it = link_macs_.find(index); it != link_macs_.end()) return it->second;
  auto links = nl_.links();
  if (!links) return std::nullopt;
  for (const net::Link& l : *links) {
    if (auto mac = mac6(l.mac)) link_macs_[l.index] = *mac;
  }
  if (auto it = link_macs_.find(index); it != link_macs_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::array<std::uint8_t, 6>> EgressResolver::neighbourMac(const HopKey& hop) {
  if (auto it = neighbours_.find(hop); it != neighbours_.end()) return it->second;
  const int family = hop.second.family();
  if (dumped_families_.insert(family).second) {
    if (auto all = nl_.neighbours(family)) {
      for (const net::Neighbour& n : *all) {
        if (n.usable()) neighbours_[{n.index, n.address}] = *mac6(n.mac);
      }
    }
    if (auto it = neighbours_.find(hop); it != neighbours_.end()) return it->second;
  }
  (void)nl_.resolveNeighbour(hop.first, hop.second);
  return std::nullopt;
}

std::optional<Egress> EgressResolver::lookup(const lb::Real& real, std::string* why) {
  const base::IpAddress& addr = real.key.address;
  auto hop = nl_.route(addr);
  if (!hop) {
    say(why, hop.error().message);
    return std::nullopt;
  }
  if (hop->local) {
    say(why, fmt::format("{} is an address of this host", addr.str()));
    return std::nullopt;
  }
  if (real.forwarding == lb::Forwarding::Dr && hop->gateway) {
    say(why, fmt::format("direct routing needs {} on-link, but it is behind {}", addr.str(),
                         hop->gateway->str()));
    return std::nullopt;
  }
  const HopKey key{hop->index, hop->nextHop(addr)};
  watched_.insert(key);
  auto src = linkMac(hop->index);
  if (!src) {
    say(why, fmt::format("interface {} has no MAC address", hop->index));
    return std::nullopt;
  }
  auto dst = neighbourMac(key);
  if (!dst) {
    say(why, fmt::format("next hop {} not resolved yet", key.second.str()));
    return std::nullopt;
  }
  return Egress{hop->index, *src, *dst};
}

bool EgressResolver::onEvent(const net::NetEvent& e) {
  using Kind = net::NetEvent::Kind;
  if (e.kind == Kind::NeighbourChanged || e.kind == Kind::NeighbourRemoved) {
    const HopKey key{e.neighbour.index, e.neighbour.address};
    std::optional<std::array<std::uint8_t, 6>> now;
    if (e.kind == Kind::NeighbourChanged && e.neighbour.usable()) now = mac6(e.neighbour.mac);
    auto it = neighbours_.find(key);
    const std::optional<std::array<std::uint8_t, 6>> before =
        it == neighbours_.end() ? std::nullopt : std::optional(it->second);
    if (now) {
      neighbours_[key] = *now;
    } else if (it != neighbours_.end()) {
      neighbours_.erase(it);
    }
    return watched_.count(key) != 0 && before != now;
  }
  if (e.kind == Kind::LinkChanged || e.kind == Kind::LinkRemoved) {
    auto it = link_macs_.find(e.link.index);
    if (it == link_macs_.end()) return false;
    auto mac = mac6(e.link.mac);
    if (e.kind == Kind::LinkRemoved || !mac || *mac != it->second) {
      link_macs_.erase(it);
      return true;
    }
  }
  return false;
}

void EgressResolver::reset() {
  link_macs_.clear();
  neighbours_.clear();
  dumped_families_.clear();
}

}  // namespace keel::dataplane::xdp
