// Typed identities of the load-balancing configuration (docs/design.md §2, "diff by identity"):
// a virtual server is its address:port:protocol, its fwmark or its group name, as keepalived
// identifies it; a real server is its address:port within one virtual server. Built once from the
// configuration (VirtualServerId::of) and used as map keys by check, lb, lvs, diff and the views;
// turned into text only for display, here and nowhere else. Plain values; any thread.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "base/address.h"

namespace keel::model {

struct VirtualServer;

struct VirtualServerId {
  enum class Kind : std::uint8_t { Address, Fwmark, Group };

  Kind kind = Kind::Address;
  base::IpAddress address;                            // Address
  std::uint16_t port = 0;                             // Address
  base::IpProtocol protocol = base::IpProtocol::Tcp;  // Address
  std::uint32_t fwmark = 0;                           // Fwmark
  std::string group;                                  // Group

  static VirtualServerId of(const VirtualServer& vs);
  static VirtualServerId ofAddress(const base::IpAddress& address, std::uint16_t port,
                                   base::IpProtocol protocol);
  static VirtualServerId ofFwmark(std::uint32_t mark);
  static VirtualServerId ofGroup(std::string name);

  friend auto operator<=>(const VirtualServerId&, const VirtualServerId&) = default;
  friend bool operator==(const VirtualServerId&, const VirtualServerId&) = default;
};

// A real server of a virtual server, by address and port.
struct RealServerId {
  VirtualServerId virtual_server;
  base::IpAddress address;
  std::uint16_t port = 0;

  friend auto operator<=>(const RealServerId&, const RealServerId&) = default;
  friend bool operator==(const RealServerId&, const RealServerId&) = default;
};

// The one formatter. keel's names (logs, diagnostics, keelctl, keel.data, metrics labels):
// "198.18.0.100:80/TCP", "[2001:db8::1]:80/TCP", "fwmark 7", "group web".
std::string str(const VirtualServerId& id);
// "198.18.0.100:80/TCP -> 198.18.0.1:80" (a reload plan's real server).
std::string str(const RealServerId& id);
// keel's "198.18.0.1:80" / "[2001:db8::1]:80" for a real server's endpoint alone.
std::string endpointStr(const base::IpAddress& address, std::uint16_t port);
// keepalived's log and notify-FIFO texts (docs/reference/keepalived.md §2.12, §3.3):
// "[10.0.0.1]:tcp:80", "FWM 7", "[group]"; a real server as "[10.0.0.2]:tcp:80", under its
// virtual server's protocol.
std::string keepalivedText(const VirtualServerId& id);
std::string keepalivedText(const base::IpAddress& address, std::uint16_t port,
                           base::IpProtocol protocol);

// str(VirtualServerId::of(vs)), for a configuration's own diagnostics and dumps.
std::string virtualServerName(const VirtualServer& vs);

std::size_t hashValue(const VirtualServerId& id);
std::size_t hashValue(const RealServerId& id);

}  // namespace keel::model

template <>
struct std::hash<keel::model::VirtualServerId> {
  std::size_t operator()(const keel::model::VirtualServerId& id) const {
    return keel::model::hashValue(id);
  }
};

template <>
struct std::hash<keel::model::RealServerId> {
  std::size_t operator()(const keel::model::RealServerId& id) const {
    return keel::model::hashValue(id);
  }
};
