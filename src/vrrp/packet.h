// The VRRP wire codec: turns received bytes into an Advert after the receive checks keepalived
// applies (docs/reference/keepalived.md §2.4), and an Advert into the bytes to send. VRRPv2 is RFC
// 3768 §5 (IPv4 only, seconds, 8 bytes of authentication data); VRRPv3 is RFC 5798 §5 / RFC 9568 §5
// (IPv4 or IPv6, centiseconds, a checksum over a pseudo-header, no authentication).
//
// Pure functions over bytes and plain values: no I/O, no clock, no logging; any thread. Every
// read is bounds-checked and a message never carries more than 255 addresses, so hostile input
// costs at most a few KiB and a few microseconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "base/address.h"
#include "model/vrrp.h"
#include "vrrp/advert.h"

namespace keel::vrrp {

inline constexpr std::uint8_t kVrrpProtocol = 112;  // IANA protocol number (RFC 5798 §5.1.1.4)
inline constexpr std::uint8_t kAhProtocol = 51;     // IPsec AH, keepalived's auth_type AH
inline constexpr std::uint8_t kVrrpTtl = 255;       // RFC 5798 §5.1.1.3 / §5.1.2.3
inline constexpr std::uint8_t kVrrpTos = 0xc0;      // DSCP CS6 (network control), as keepalived
inline constexpr std::size_t kMaxAddresses = 255;   // the count field is one byte
inline constexpr std::size_t kVrrpHeaderSize = 8;   // version/type .. checksum
inline constexpr std::size_t kV2AuthSize = 8;       // RFC 3768 §5.3.10 / §5.3.11
inline constexpr std::size_t kIpv4HeaderSize = 20;  // without options

// Why a received packet was not turned into an Advert. keepalived's KO and DROP both mean
// "ignore it"; the name says which of its counters the reason feeds.
enum class DropReason : std::uint8_t {
  TooShort,          // shorter than the headers and addresses it announces (a cut packet)
  TooLong,           // longer than announced, beyond Ethernet minimum-frame padding
  BadIpHeader,       // IPv4: version not 4, ihl < 5, tot_len mismatch, protocol not 112
  WrongFamily,       // an IPv4 packet for an IPv6 instance or the reverse
  UnknownVrid,       // not the VRID of this instance
  BadTtl,            // multicast instance and TTL / hop limit not 255 (RFC 5798 §7.1)
  BadVersion,        // not the instance's VRRP version
  InvalidAuthType,   // v2: authentication type not 0, 1 or 2
  AuthTypeMismatch,  // v2: authentication type (or AH presence) not the configured one
  AuthFailure,       // v2 PASS: the 8 password bytes differ
  IntervalMismatch,  // v2: advertisement interval not the local one (RFC 3768 §7.1)
  BadType,           // type not 1 (ADVERTISEMENT)
  BadChecksum,       // the VRRP checksum does not verify
  UnicastMismatch,   // a unicast instance got a multicast packet or the reverse
  AddressCount,      // address count not the configured VIP count (keepalived 2.2.7)
  AddressList,       // the addresses differ from the configured VIPs (keepalived 2.2.7)
  NotUnicastPeer,    // check_unicast_src and the source is not a unicast peer
  // keel's checks of the IP source, after keepalived's (which accepts all of these): no VRRP
  // router can send from such an address, so the advert is forged or looped (docs/vrrp.md).
  SourceUnspecified,  // 0.0.0.0 or ::
  SourceBroadcast,    // 255.255.255.255, or the network or broadcast address of a subnet of the
                      // receiving interface
  SourceMulticast,    // 224.0.0.0/4 or ff00::/8
  SourceOwn,          // one of this host's own addresses
  SourceOffLink,      // multicast mode: outside every subnet of the receiving interface
};
inline constexpr std::size_t kDropReasonCount =
    static_cast<std::size_t>(DropReason::SourceOffLink) + 1;

// snake_case, after keepalived's counter names: "packet_too_short", "ip_ttl_err", ... (keepalived
// counts TooShort and TooLong together as packet_len_err).
std::string_view dropReasonName(DropReason reason);

// Drops counted by reason, one slot per DropReason. Not thread-safe.
struct DropCounters {
  std::array<std::uint64_t, kDropReasonCount> by_reason{};

  void count(DropReason reason) { ++by_reason[static_cast<std::size_t>(reason)]; }
  std::uint64_t operator[](DropReason reason) const {
    return by_reason[static_cast<std::size_t>(reason)];
  }
  std::uint64_t total() const;
};

// What the local instance expects of a received advert.
struct ReceiveConfig {
  int version = 2;                                    // 2 or 3; IPv6 instances are 3
  std::uint8_t vrid = 0;                              // 1..255
  bool ipv6 = false;                                  // the instance's family
  model::AuthType auth_type = model::AuthType::None;  // v2 only; Ah is not supported here
  std::array<std::uint8_t, 8> password{};             // PASS: NUL padded (see authPassword)
  Centis advert_int{100};                             // v2 compares whole seconds
  std::vector<base::IpAddress> addresses;             // the configured VIPs, in any order
  // keepalived's skip_check_adv_addr: the address list is not compared for adverts from
  // current_master, the sender of the last accepted advert.
  bool skip_check_adv_addr = false;
  std::optional<base::IpAddress> current_master;
  bool unicast = false;  // unicast_peer configured: adverts arrive unicast, TTL not checked
  std::vector<base::IpAddress> unicast_peers;
  bool check_unicast_src = false;  // drop unicast adverts from addresses not in unicast_peers
  // For keel's source checks: the prefixes of the receiving interface (empty: unknown, the
  // subnet checks are skipped) and this host's own addresses.
  std::vector<base::Prefix> interface_prefixes;
  std::vector<base::IpAddress> local_addresses;
};

// keel's source checks (the Source* drop reasons) for an advert from `source`.
std::optional<DropReason> checkSource(const base::IpAddress& source, const ReceiveConfig& config);

// A parse yields the Advert, or the first check it failed.
using Received = std::variant<Advert, DropReason>;

// `packet` as read from a raw IPPROTO_VRRP IPv4 socket: the IPv4 header (options allowed), the
// VRRP message, and possibly Ethernet padding up to 46 bytes. Source, destination and TTL come
// from the IP header. Checks run in keepalived's order (docs/reference/keepalived.md §2.4): family,
// IP header, VRID, length, TTL, version, v2 auth type/password/interval, type, tot_len, checksum
// (v3: RFC 5798 §5.2.8 pseudo-header), unicast vs multicast, address count and list, unicast
// source; then keel's source checks (checkSource).
Received parseIpv4Advert(std::span<const std::uint8_t> packet, const ReceiveConfig& config);

// `payload` as read from a raw IPPROTO_VRRP IPv6 socket (the kernel strips the IPv6 header);
// `source`, `destination` and `hop_limit` from recvmsg (IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT).
// The checksum over the RFC 5798 §5.2.8 IPv6 pseudo-header is verified here too.
Received parseIpv6Advert(std::span<const std::uint8_t> payload, const base::IpAddress& source,
                         const base::IpAddress& destination, int hop_limit,
                         const ReceiveConfig& config);

// The VRID of a received packet (IPv4: the whole datagram; IPv6: the payload), to pick the
// instance whose ReceiveConfig to parse it with; nullopt when too short to hold one.
std::optional<std::uint8_t> peekIpv4Vrid(std::span<const std::uint8_t> packet);
std::optional<std::uint8_t> peekIpv6Vrid(std::span<const std::uint8_t> payload);

// The v2 authentication data for `password`: its first 8 bytes, NUL padded.
std::array<std::uint8_t, 8> authPassword(std::string_view password);

struct EncodeOptions {
  model::AuthType auth_type = model::AuthType::None;  // v2: None or Pass (Ah encodes as None)
  std::array<std::uint8_t, 8> password{};             // v2 PASS
  // Where the message goes (224.0.0.18, ff02::12 or a unicast peer): v3 checksums cover it.
  base::IpAddress destination;
  std::uint8_t ttl = kVrrpTtl;  // encodeIpv4Packet only (keepalived's unicast_ttl)
};

// The VRRP message alone (the kernel adds the IP header), checksum filled in. The family is
// advert.source's, and the checksum of a v3 message covers advert.source and
// options.destination, so source must be the address the packet leaves from. v2 writes the
// interval in whole seconds (rounded, 1..255) and auth data; v3 in centiseconds (1..4095).
// REQUIRES: at most 255 addresses, all of the source's family (v2: IPv4). Others are left out.
std::vector<std::uint8_t> encodeAdvert(const Advert& advert, const EncodeOptions& options);

// encodeAdvert's message behind an IPv4 header (TOS 0xc0, TTL options.ttl, protocol 112, ID 0,
// header checksum), for IP_HDRINCL sockets and tests. REQUIRES: advert.source is IPv4.
std::vector<std::uint8_t> encodeIpv4Packet(const Advert& advert, const EncodeOptions& options);

}  // namespace keel::vrrp
