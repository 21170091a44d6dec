// The VRRP codec: receive checks in keepalived's order, then the decode; encoders for v2 and v3.
#include "vrrp/packet.h"

#include <algorithm>
#include <numeric>

#include "base/checksum.h"

namespace keel::vrrp {
namespace {

constexpr std::uint8_t kTypeAdvertisement = 1;
// An Ethernet frame carries at least 46 bytes of payload; a shorter IPv4 datagram arrives padded.
constexpr std::size_t kMinEthernetPayload = 46;
constexpr std::int64_t kMaxV2Seconds = 255;
constexpr std::int64_t kMaxV3Centis = 0x0fff;

constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
    "packet_too_short",   // TooShort
    "packet_too_long",    // TooLong
    "ip_header_err",      // BadIpHeader
    "family_err",         // WrongFamily
    "vrid_err",           // UnknownVrid
    "ip_ttl_err",         // BadTtl
    "version_err",        // BadVersion
    "invalid_authtype",   // InvalidAuthType
    "authtype_mismatch",  // AuthTypeMismatch
    "auth_failure",       // AuthFailure
    "interval_err",       // IntervalMismatch
    "invalid_type_rcvd",  // BadType
    "checksum_err",       // BadChecksum
    "unicast_mismatch",   // UnicastMismatch
    "addr_count_err",     // AddressCount
    "addr_list_err",      // AddressList
    "unicast_src_err",    // NotUnicastPeer
    "src_unspecified",    // SourceUnspecified
    "src_broadcast",      // SourceBroadcast
    "src_multicast",      // SourceMulticast
    "src_own_address",    // SourceOwn
    "src_off_link",       // SourceOffLink
};

using base::Checksum;

// RFC 5798 §5.2.8: the IPv4 or IPv6 pseudo-header.
void addPseudoHeader(Checksum& sum, const base::IpAddress& source,
                     const base::IpAddress& destination, std::size_t length) {
  sum.addPseudoHeader(source, destination, kVrrpProtocol, length);
}

std::uint16_t load16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void store16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<std::uint8_t>(value >> 8);
  out[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

std::uint8_t wireAuthType(model::AuthType type) {
  switch (type) {
    case model::AuthType::None:
      return 0;
    case model::AuthType::Pass:
      return 1;
    case model::AuthType::Ah:
      return 2;
  }
  return 0;
}

// v2 carries whole seconds: rounded to nearest, 1..255 (docs/reference/keepalived.md §2.2).
std::uint8_t wireSeconds(Centis interval) {
  std::int64_t centis = std::clamp<std::int64_t>(interval.count(), 0, kMaxV2Seconds * 100);
  return static_cast<std::uint8_t>(std::clamp<std::int64_t>((centis + 50) / 100, 1, kMaxV2Seconds));
}

std::uint16_t wireCentis(Centis interval) {
  return static_cast<std::uint16_t>(std::clamp<std::int64_t>(interval.count(), 1, kMaxV3Centis));
}

// Compares the 8 password bytes in time independent of where they differ.
bool samePassword(std::span<const std::uint8_t> received, const std::array<std::uint8_t, 8>& own) {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < own.size(); ++i) diff |= received[i] ^ own[i];
  return diff == 0;
}

std::size_t addressSize(bool ipv6) { return ipv6 ? 16 : 4; }

// The message length `message` announces: its header, count addresses and, for v2, auth data.
// A version other than 2 or 3 is measured as the instance's, so that it fails the version check.
std::size_t announcedLength(std::span<const std::uint8_t> message, const ReceiveConfig& config) {
  int version = message[0] >> 4;
  if (version != 2 && version != 3) version = config.version;
  std::size_t length = kVrrpHeaderSize + message[3] * addressSize(config.ipv6);
  return version == 2 ? length + kV2AuthSize : length;
}

// `received` bytes against `expected`; IPv4 tolerates padding up to the Ethernet minimum.
std::optional<DropReason> checkLength(std::size_t received, std::size_t expected,
                                      bool ethernet_padding) {
  if (received < expected) return DropReason::TooShort;
  if (received == expected) return std::nullopt;
  if (ethernet_padding && received <= kMinEthernetPayload) return std::nullopt;
  return DropReason::TooLong;
}

// A received VRRP message, cut to its announced length, and where it came from.
struct Datagram {
  std::span<const std::uint8_t> message;
  base::IpAddress source;
  base::IpAddress destination;
  int ttl = 0;
};

// docs/reference/keepalived.md §2.4 rows 8-10: auth type known, the configured one, and the
// password.
std::optional<DropReason> checkV2Auth(std::span<const std::uint8_t> message,
                                      const ReceiveConfig& config) {
  std::uint8_t type = message[4];
  if (type > 2) return DropReason::InvalidAuthType;
  // AH is IPsec around the message (protocol 51), which this codec does not verify.
  if (config.auth_type == model::AuthType::Ah || type != wireAuthType(config.auth_type)) {
    return DropReason::AuthTypeMismatch;
  }
  if (config.auth_type == model::AuthType::Pass &&
      !samePassword(message.last(kV2AuthSize), config.password)) {
    return DropReason::AuthFailure;
  }
  return std::nullopt;
}

// docs/reference/keepalived.md §2.4 rows 5-13, the checks on the message's fixed fields.
std::optional<DropReason> checkFields(const Datagram& d, const ReceiveConfig& config) {
  if (!config.unicast && d.ttl != kVrrpTtl) return DropReason::BadTtl;
  int version = d.message[0] >> 4;
  bool known = version == 3 || (version == 2 && !config.ipv6);  // RFC 5798 §5.2.1
  if (version != config.version || !known) return DropReason::BadVersion;
  if (version == 2) {
    if (auto bad = checkV2Auth(d.message, config)) return bad;
    // RFC 3768 §7.1: a mismatched interval is discarded (keepalived: DROP).
    if (d.message[5] != wireSeconds(config.advert_int)) return DropReason::IntervalMismatch;
  }
  if ((d.message[0] & 0x0f) != kTypeAdvertisement) return DropReason::BadType;
  return std::nullopt;
}

bool checksumVerifies(const Datagram& d) {
  Checksum sum;
  if ((d.message[0] >> 4) == 3) addPseudoHeader(sum, d.source, d.destination, d.message.size());
  sum.add(d.message);
  return sum.finish() == 0;
}

Advert decode(const Datagram& d, bool ipv6) {
  std::span<const std::uint8_t> m = d.message;
  Advert advert;
  advert.version = m[0] >> 4;
  advert.vrid = m[1];
  advert.priority = m[2];
  advert.max_advert_int =
      advert.version == 2 ? Centis(m[5] * 100) : Centis(load16(m, 4) & kMaxV3Centis);
  advert.source = d.source;
  advert.addresses.reserve(m[3]);
  std::size_t size = addressSize(ipv6);
  for (std::size_t i = 0; i < m[3]; ++i) {
    std::span<const std::uint8_t> bytes = m.subspan(kVrrpHeaderSize + i * size, size);
    if (ipv6) {
      std::array<std::uint8_t, 16> a{};
      std::copy(bytes.begin(), bytes.end(), a.begin());
      advert.addresses.push_back(base::IpAddress::fromV6Bytes(a));
    } else {
      advert.addresses.push_back(
          base::IpAddress::fromV4Bytes({bytes[0], bytes[1], bytes[2], bytes[3]}));
    }
  }
  return advert;
}

bool sameAddressSet(std::vector<base::IpAddress> a, std::vector<base::IpAddress> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// docs/reference/keepalived.md §2.4 rows 16-21: checksum, unicast vs multicast, addresses, unicast
// source.
Received finish(const Datagram& d, const ReceiveConfig& config) {
  if (!checksumVerifies(d)) return DropReason::BadChecksum;
  if (config.unicast == d.destination.isMulticast()) return DropReason::UnicastMismatch;
  if (d.message[3] != config.addresses.size()) return DropReason::AddressCount;
  Advert advert = decode(d, config.ipv6);
  bool skip_list = config.skip_check_adv_addr && config.current_master == d.source;
  if (!skip_list && !sameAddressSet(advert.addresses, config.addresses)) {
    return DropReason::AddressList;
  }
  if (config.unicast && config.check_unicast_src &&
      std::find(config.unicast_peers.begin(), config.unicast_peers.end(), d.source) ==
          config.unicast_peers.end()) {
    return DropReason::NotUnicastPeer;
  }
  if (auto bad = checkSource(d.source, config)) return *bad;
  return advert;
}

// The network and broadcast addresses of an IPv4 subnet with room for hosts (/30 and wider).
bool isSubnetEdge(const base::IpAddress& a, const base::Prefix& p) {
  if (!a.isV4() || !p.address().isV4() || p.length() > 30 || !p.contains(a)) return false;
  const std::uint32_t host_mask = 0xffffffffU >> p.length();
  const std::uint32_t host = a.v4HostOrder() & host_mask;
  return host == 0 || host == host_mask;
}

// The IPv4 header of a raw-socket datagram, up to the fixed VRRP header behind it.
std::optional<DropReason> checkIpv4Header(std::span<const std::uint8_t> packet) {
  if (packet.size() < kIpv4HeaderSize) return DropReason::TooShort;
  if ((packet[0] >> 4) != 4) return DropReason::BadIpHeader;
  std::size_t ihl = (packet[0] & 0x0f) * std::size_t{4};
  if (ihl < kIpv4HeaderSize) return DropReason::BadIpHeader;
  // docs/reference/keepalived.md §2.4 row 3: an AH packet when AH is not configured (it never is
  // here).
  if (packet[9] == kAhProtocol) return DropReason::AuthTypeMismatch;
  if (packet[9] != kVrrpProtocol) return DropReason::BadIpHeader;
  if (packet.size() < ihl + kVrrpHeaderSize) return DropReason::TooShort;
  return std::nullopt;
}

base::IpAddress ipv4At(std::span<const std::uint8_t> bytes, std::size_t at) {
  return base::IpAddress::fromV4Bytes({bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]});
}

std::vector<base::IpAddress> addressesToSend(const Advert& advert, bool ipv6) {
  std::vector<base::IpAddress> out;
  for (const base::IpAddress& a : advert.addresses) {
    if (out.size() == kMaxAddresses) break;
    if (a.isV6() == ipv6) out.push_back(a);
  }
  return out;
}

}  // namespace

std::optional<DropReason> checkSource(const base::IpAddress& source, const ReceiveConfig& config) {
  if (source.isUnspecified()) return DropReason::SourceUnspecified;
  if (source.isMulticast()) return DropReason::SourceMulticast;
  if (source == base::IpAddress::v4(0xffffffffU)) return DropReason::SourceBroadcast;
  const auto& prefixes = config.interface_prefixes;
  if (std::any_of(prefixes.begin(), prefixes.end(),
                  [&](const base::Prefix& p) { return isSubnetEdge(source, p); })) {
    return DropReason::SourceBroadcast;
  }
  const auto& own = config.local_addresses;
  if (std::find(own.begin(), own.end(), source) != own.end()) return DropReason::SourceOwn;
  if (!config.unicast && !prefixes.empty() &&
      std::none_of(prefixes.begin(), prefixes.end(),
                   [&](const base::Prefix& p) { return p.contains(source); })) {
    return DropReason::SourceOffLink;
  }
  return std::nullopt;
}

std::string_view dropReasonName(DropReason reason) {
  auto i = static_cast<std::size_t>(reason);
  return i < kDropReasonNames.size() ? kDropReasonNames[i] : std::string_view("unknown");
}

std::uint64_t DropCounters::total() const {
  return std::accumulate(by_reason.begin(), by_reason.end(), std::uint64_t{0});
}

Received parseIpv4Advert(std::span<const std::uint8_t> packet, const ReceiveConfig& config) {
  if (config.ipv6) return DropReason::WrongFamily;
  if (auto bad = checkIpv4Header(packet)) return *bad;
  std::size_t ihl = (packet[0] & 0x0f) * std::size_t{4};
  std::span<const std::uint8_t> message = packet.subspan(ihl);
  if (message[1] != config.vrid) return DropReason::UnknownVrid;
  std::size_t expected = ihl + announcedLength(message, config);
  if (auto bad = checkLength(packet.size(), expected, true)) return *bad;
  Datagram d{message.first(expected - ihl), ipv4At(packet, 12), ipv4At(packet, 16), packet[8]};
  if (auto bad = checkFields(d, config)) return *bad;
  // docs/reference/keepalived.md §2.4 row 14; the Ethernet padding is outside tot_len.
  if (load16(packet, 2) != expected) return DropReason::BadIpHeader;
  return finish(d, config);
}

Received parseIpv6Advert(std::span<const std::uint8_t> payload, const base::IpAddress& source,
                         const base::IpAddress& destination, int hop_limit,
                         const ReceiveConfig& config) {
  if (!config.ipv6 || !source.isV6() || !destination.isV6()) return DropReason::WrongFamily;
  if (payload.size() < kVrrpHeaderSize) return DropReason::TooShort;
  if (payload[1] != config.vrid) return DropReason::UnknownVrid;
  std::size_t expected = announcedLength(payload, config);
  if (auto bad = checkLength(payload.size(), expected, false)) return *bad;
  Datagram d{payload, source, destination, hop_limit};
  if (auto bad = checkFields(d, config)) return *bad;
  return finish(d, config);
}

std::optional<std::uint8_t> peekIpv4Vrid(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  std::size_t ihl = (packet[0] & 0x0f) * std::size_t{4};
  if (ihl < kIpv4HeaderSize || packet.size() < ihl + 2) return std::nullopt;
  return packet[ihl + 1];
}

std::optional<std::uint8_t> peekIpv6Vrid(std::span<const std::uint8_t> payload) {
  if (payload.size() < 2) return std::nullopt;
  return payload[1];
}

std::array<std::uint8_t, 8> authPassword(std::string_view password) {
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < out.size() && i < password.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(password[i]);
  }
  return out;
}

std::vector<std::uint8_t> encodeAdvert(const Advert& advert, const EncodeOptions& options) {
  bool v3 = advert.version == 3;
  bool ipv6 = v3 && advert.source.isV6();
  std::vector<base::IpAddress> addresses = addressesToSend(advert, ipv6);
  std::vector<std::uint8_t> out;
  out.reserve(kVrrpHeaderSize + addresses.size() * addressSize(ipv6) + kV2AuthSize);
  out.push_back(static_cast<std::uint8_t>(((v3 ? 3 : 2) << 4) | kTypeAdvertisement));
  out.push_back(advert.vrid);
  out.push_back(advert.priority);
  out.push_back(static_cast<std::uint8_t>(addresses.size()));
  if (v3) {
    std::uint16_t centis = wireCentis(advert.max_advert_int);
    out.push_back(static_cast<std::uint8_t>(centis >> 8));  // the 4 reserved bits stay 0
    out.push_back(static_cast<std::uint8_t>(centis & 0xff));
  } else {
    bool pass = options.auth_type == model::AuthType::Pass;
    out.push_back(pass ? wireAuthType(model::AuthType::Pass) : 0);
    out.push_back(wireSeconds(advert.max_advert_int));
  }
  out.push_back(0);  // checksum, filled in below
  out.push_back(0);
  for (const base::IpAddress& a : addresses)
    out.insert(out.end(), a.bytes().begin(), a.bytes().end());
  if (!v3) {
    bool pass = options.auth_type == model::AuthType::Pass;
    for (std::uint8_t b : options.password) out.push_back(pass ? b : 0);
  }
  Checksum sum;
  if (v3) addPseudoHeader(sum, advert.source, options.destination, out.size());
  sum.add(out);
  store16(out, 6, sum.finish());
  return out;
}

std::vector<std::uint8_t> encodeIpv4Packet(const Advert& advert, const EncodeOptions& options) {
  std::vector<std::uint8_t> message = encodeAdvert(advert, options);
  // Sized once and filled in place: g++ 12 -O2 misreads an insert at the end of a 20-byte
  // vector as out of bounds (-Warray-bounds).
  std::vector<std::uint8_t> out(kIpv4HeaderSize + message.size(), 0);
  out[0] = 0x45;  // version 4, ihl 5
  out[1] = kVrrpTos;
  store16(out, 2, static_cast<std::uint16_t>(kIpv4HeaderSize + message.size()));
  out[8] = options.ttl;
  out[9] = kVrrpProtocol;
  if (advert.source.isV4()) std::copy_n(advert.source.bytes().begin(), 4, out.begin() + 12);
  if (options.destination.isV4()) {
    std::copy_n(options.destination.bytes().begin(), 4, out.begin() + 16);
  }
  Checksum sum;
  sum.add(std::span<const std::uint8_t>(out).first(kIpv4HeaderSize));
  store16(out, 10, sum.finish());
  std::copy(message.begin(), message.end(), out.begin() + kIpv4HeaderSize);
  return out;
}

}  // namespace keel::vrrp
