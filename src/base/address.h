// IP addresses, prefixes, ports and endpoints as strict value types.
//
// Owned by base; every layer that reads addresses from keepalived.conf, netlink or sockets uses
// these. Parsers accept only canonical-looking text (no inet_aton shorthands, octal, hex, signs or
// whitespace) and name the bad input in their error. Value types: any thread.
#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace keel::base {

// An IPv4 or IPv6 address. Default-constructed: 0.0.0.0. Ordering: every IPv4 address before
// every IPv6 address, then by bytes in network order. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
// stays IPv6.
class IpAddress {
 public:
  IpAddress() = default;

  // Text with a ':' is parsed as IPv6, else text with a '.' as IPv4; anything else fails.
  static Result<IpAddress> parse(std::string_view text);
  // Exactly four decimal numbers 0-255 joined by '.', no leading zeros.
  static Result<IpAddress> parseV4(std::string_view text);
  // RFC 4291 text (inet_pton AF_INET6). Zone ids ("%eth0") are rejected.
  static Result<IpAddress> parseV6(std::string_view text);

  static IpAddress v4(uint32_t host_order);
  static IpAddress fromV4Bytes(std::array<uint8_t, 4> bytes);
  static IpAddress fromV6Bytes(const std::array<uint8_t, 16>& bytes);

  bool isV4() const { return !v6_; }
  bool isV6() const { return v6_; }
  int family() const;  // AF_INET or AF_INET6
  int maxPrefixLength() const { return v6_ ? 128 : 32; }
  // 4 or 16 bytes, network order; valid while this object lives.
  std::span<const uint8_t> bytes() const { return {bytes_.data(), v6_ ? 16u : 4u}; }
  // REQUIRES isV4().
  uint32_t v4HostOrder() const;

  // Dotted quad, or the RFC 5952 form for IPv6 (inet_ntop's output).
  std::string str() const;

  bool isUnspecified() const;  // 0.0.0.0 or ::
  bool isLinkLocal() const;    // 169.254.0.0/16 or fe80::/10
  bool isMulticast() const;    // 224.0.0.0/4 or ff00::/8

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  bool v6_ = false;
  std::array<uint8_t, 16> bytes_{};  // an IPv4 address uses the first 4; the rest stay zero
};

// An address and a prefix length, e.g. 10.0.0.1/24. The address keeps its host bits as written;
// network() clears them. Default-constructed: 0.0.0.0/0.
class Prefix {
 public:
  Prefix() = default;

  // "A/len" or a bare "A" (a host prefix: /32 or /128). len is decimal without leading zeros,
  // 0-32 for IPv4 and 0-128 for IPv6.
  static Result<Prefix> parse(std::string_view text);
  // Fails (InvalidArgument) when length is outside 0..address.maxPrefixLength().
  static Result<Prefix> make(const IpAddress& address, int length);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  // False for an address of the other family.
  bool contains(const IpAddress& address) const;
  Prefix network() const;
  std::string str() const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  Prefix(const IpAddress& address, int length)
      : address_(address), length_(static_cast<uint8_t>(length)) {}

  IpAddress address_;
  uint8_t length_ = 0;
};

// Decimal digits only, 0-65535 (leading zeros allowed: "080" is 80).
Result<uint16_t> parsePort(std::string_view text);

// An address and a port: "1.2.3.4:80" or "[2001:db8::1]:80". Default-constructed: 0.0.0.0:0.
class Endpoint {
 public:
  Endpoint() = default;
  Endpoint(const IpAddress& address, uint16_t port) : address_(address), port_(port) {}

  // An IPv6 endpoint must use brackets; "[1.2.3.4]:80" and a missing port are rejected.
  static Result<Endpoint> parse(std::string_view text);
  // Reads a sockaddr_in or sockaddr_in6 of at least its full size; other families fail. An IPv6
  // scope id is dropped.
  static Result<Endpoint> fromSockaddr(const sockaddr* sa, socklen_t len);

  const IpAddress& address() const { return address_; }
  uint16_t port() const { return port_; }
  std::string str() const;
  // Clears `out`, fills a sockaddr_in or sockaddr_in6 and returns its size.
  socklen_t toSockaddr(sockaddr_storage& out) const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;

 private:
  IpAddress address_;
  uint16_t port_ = 0;
};

size_t hashValue(const IpAddress& address);

// The transport protocols a virtual service carries (config, service tables, data planes).
enum class IpProtocol : uint8_t { Tcp, Udp, Sctp };
std::string_view ipProtocolName(IpProtocol p);  // "TCP", "UDP", "SCTP"

}  // namespace keel::base

template <>
struct std::hash<keel::base::IpAddress> {
  size_t operator()(const keel::base::IpAddress& a) const { return keel::base::hashValue(a); }
};

template <>
struct std::hash<keel::base::Prefix> {
  size_t operator()(const keel::base::Prefix& p) const {
    return keel::base::hashValue(p.address()) * 131 + static_cast<size_t>(p.length());
  }
};

template <>
struct std::hash<keel::base::Endpoint> {
  size_t operator()(const keel::base::Endpoint& e) const {
    return keel::base::hashValue(e.address()) * 65599 + e.port();
  }
};
