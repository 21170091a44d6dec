// The desired state every data plane reconciles to: virtual services with their real servers,
// scheduler, persistence and forwarding kind, all resolved (groups expanded, health applied,
// quorum and sorry server decided). lb builds it; a backend receives it through
// Dataplane::apply(). Immutable once built and shared as std::shared_ptr<const ServiceTable>;
// any thread may read it.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/address.h"

namespace keel::lb {

using Protocol = base::IpProtocol;
enum class Forwarding : std::uint8_t { Nat, Dr, Tun };

// A TUN real's tunnel (IPVS's IP_VS_CONN_F_TUNNEL_TYPE_* and encapsulation flags).
enum class TunnelType : std::uint8_t { Ipip, Gue, Gre };
struct Tunnel {
  TunnelType type = TunnelType::Ipip;
  std::uint16_t port = 0;  // GUE's UDP port
  bool csum = false;       // csum: checksum the outer header
  bool remcsum = false;    // remcsum: GUE remote checksum offload

  friend bool operator==(const Tunnel&, const Tunnel&) = default;
};

std::string_view forwardingName(Forwarding f);  // ipvsadm's "Masq", "Route", "Tunnel"

// A virtual service's identity. An address service has fwmark 0; a fwmark service has an
// unspecified address of its family, port 0 and protocol Tcp.
struct ServiceKey {
  base::IpAddress address;
  std::uint16_t port = 0;
  Protocol protocol = Protocol::Tcp;
  std::uint32_t fwmark = 0;

  bool isFwmark() const { return fwmark != 0; }
  std::string str() const;  // "TCP 198.18.0.100:80", "UDP [2001:db8::1]:53", "FWM 7 IPv4"
  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
};

// A real server's identity within a service.
struct RealKey {
  base::IpAddress address;
  std::uint16_t port = 0;

  std::string str() const;  // "198.18.0.1:80", "[2001:db8::1]:80"
  friend auto operator<=>(const RealKey&, const RealKey&) = default;
  friend bool operator==(const RealKey&, const RealKey&) = default;
};

struct Real {
  RealKey key;
  int weight = 1;  // 0: no new connections (quiesced); existing ones continue
  Forwarding forwarding = Forwarding::Nat;
  std::uint32_t upper_threshold = 0;  // 0: none; above it the real is overloaded
  std::uint32_t lower_threshold = 0;
  bool sorry = false;  // the sorry server standing in for a service without quorum
  Tunnel tunnel;       // for forwarding Tun

  friend bool operator==(const Real&, const Real&) = default;
};

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";
  std::vector<std::string> scheduler_flags;         // sh-port, sh-fallback, mh-port, mh-fallback
  std::chrono::microseconds persistence_timeout{};  // zero: not persistent
  std::uint8_t persistence_prefix = 0;              // client mask length; 0: /32 (v4) or /128 (v6)
  bool one_packet = false;                          // ops
  std::vector<Real> reals;                          // sorted by key, unique

  bool persistent() const { return persistence_timeout.count() > 0; }
  const Real* find(const RealKey& key) const;
  friend bool operator==(const Service&, const Service&) = default;
};

// Services are shared between successive tables: a new table after one real changed holds new
// Service objects for the changed services only, and reconcile() skips the shared ones by
// pointer.
using ServicePtr = std::shared_ptr<const Service>;

struct ServiceTable {
  std::vector<ServicePtr> services;  // sorted by key, unique, never null

  // A table of `services`, sorted by key; of two with the same key the first stays.
  static ServiceTable of(std::vector<Service> services);

  const Service* find(const ServiceKey& key) const;
  friend bool operator==(const ServiceTable& a, const ServiceTable& b);
};

}  // namespace keel::lb
