// The kernel's view of IPVS (linux/ip_vs.h, generic netlink family "IPVS"): services,
// destinations, their counters, the sync daemons, the protocol timeouts, as the kernel stores and
// reports them. The codec (ipvs_codec.h) turns them into messages and back; convert.h maps them
// to and from the desired ServiceTable. Plain values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"

namespace keel::dataplane::ipvs {

// IPVS's forwarding methods (IP_VS_CONN_F_MASQ, _TUNNEL, _DROUTE).
inline constexpr std::uint32_t kFwdMasq = 0;
inline constexpr std::uint32_t kFwdTunnel = 2;
inline constexpr std::uint32_t kFwdRoute = 3;

// Service flags (IP_VS_SVC_F_*); kFlagHashed is the kernel's own and never compared or sent.
inline constexpr std::uint32_t kFlagPersistent = 0x1;
inline constexpr std::uint32_t kFlagHashed = 0x2;
inline constexpr std::uint32_t kFlagOnePacket = 0x4;
inline constexpr std::uint32_t kFlagSched1 = 0x8;
inline constexpr std::uint32_t kFlagSched2 = 0x10;
inline constexpr std::uint32_t kFlagSched3 = 0x20;

// Tunnel types and encapsulation flags of a TUN destination (IP_VS_CONN_F_TUNNEL_TYPE_*,
// IP_VS_TUNNEL_ENCAP_FLAG_*).
enum class TunnelType : std::uint8_t { Ipip = 0, Gue = 1, Gre = 2 };
inline constexpr std::uint16_t kTunCsum = 0x1;
inline constexpr std::uint16_t kTunRemCsum = 0x2;

// IPVS_STATS_ATTR_*: totals and the kernel's rate estimates (per second).
struct IpvsStats {
  std::uint64_t conns = 0;
  std::uint64_t in_packets = 0;
  std::uint64_t out_packets = 0;
  std::uint64_t in_bytes = 0;
  std::uint64_t out_bytes = 0;
  std::uint64_t cps = 0;
  std::uint64_t in_pps = 0;
  std::uint64_t out_pps = 0;
  std::uint64_t in_bps = 0;
  std::uint64_t out_bps = 0;
  friend bool operator==(const IpvsStats&, const IpvsStats&) = default;
};

// A service's identity: AF and fwmark, or AF, protocol (IPPROTO_*), address and port.
struct IpvsServiceKey {
  std::uint16_t af = 0;  // AF_INET or AF_INET6
  std::uint16_t protocol = 0;
  base::IpAddress address;  // unspecified for a fwmark service
  std::uint16_t port = 0;
  std::uint32_t fwmark = 0;
  friend auto operator<=>(const IpvsServiceKey&, const IpvsServiceKey&) = default;
  friend bool operator==(const IpvsServiceKey&, const IpvsServiceKey&) = default;
};

// What a destination is configured with (compared when reconciling) ...
struct IpvsDestConfig {
  base::IpAddress address;  // its family is the destination's (IPVS_DEST_ATTR_ADDR_FAMILY)
  std::uint16_t port = 0;
  std::uint32_t forwarding = kFwdMasq;
  std::uint32_t weight = 1;
  std::uint32_t upper_threshold = 0;
  std::uint32_t lower_threshold = 0;
  TunnelType tun_type = TunnelType::Ipip;
  std::uint16_t tun_port = 0;  // GUE only
  std::uint16_t tun_flags = 0;
  friend bool operator==(const IpvsDestConfig&, const IpvsDestConfig&) = default;
};

// ... and what the kernel reports about it besides.
struct IpvsDest {
  IpvsDestConfig config;
  std::uint32_t active_conns = 0;
  std::uint32_t inactive_conns = 0;
  std::uint32_t persistent_conns = 0;
  IpvsStats stats;
};

struct IpvsServiceConfig {
  std::string scheduler;
  std::uint32_t flags = 0;    // without kFlagHashed
  std::uint32_t timeout = 0;  // persistence, seconds
  // Persistence granularity: a network-order IPv4 mask, or a prefix length for IPv6.
  std::uint32_t netmask = 0;
  std::string pe_name;  // persistence engine ("sip"), empty: none
  friend bool operator==(const IpvsServiceConfig&, const IpvsServiceConfig&) = default;
};

struct IpvsService {
  IpvsServiceKey key;
  IpvsServiceConfig config;
  IpvsStats stats;
  std::vector<IpvsDest> dests;  // filled by a separate dump per service
};

// IPVS_CMD_GET_INFO.
struct IpvsInfo {
  std::uint32_t version = 0;  // 0x010201 is 1.2.1
  std::uint32_t conn_tab_size = 0;
};

// IPVS_CMD_SET_CONFIG / GET_CONFIG, seconds; 0 leaves a timeout as it is.
struct IpvsTimeouts {
  std::uint32_t tcp = 0;
  std::uint32_t tcp_fin = 0;
  std::uint32_t udp = 0;
  friend bool operator==(const IpvsTimeouts&, const IpvsTimeouts&) = default;
};

// A connection sync daemon (IPVS_CMD_NEW_DAEMON): keepalived's lvs_sync_daemon options.
inline constexpr std::uint32_t kSyncMaster = 1;
inline constexpr std::uint32_t kSyncBackup = 2;
struct SyncDaemon {
  std::uint32_t state = kSyncMaster;
  std::string interface;
  std::uint32_t sync_id = 0;
  std::uint16_t max_len = 0;             // 0: the kernel's default
  std::optional<base::IpAddress> group;  // unset: the kernel's 224.0.0.81
  std::uint16_t port = 0;                // 0: the kernel's 8848
  std::uint8_t ttl = 0;                  // 0: the kernel's 1
  friend bool operator==(const SyncDaemon&, const SyncDaemon&) = default;
};

}  // namespace keel::dataplane::ipvs
