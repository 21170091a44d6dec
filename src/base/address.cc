#include "base/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace keel::base {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isV6Char(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

Error v4Error(std::string_view text) {
  return makeError(ErrorCode::Parse,
                   fmt::format("invalid IPv4 address \"{}\": expected four decimal numbers "
                               "0-255 separated by dots, without leading zeros",
                               text));
}

Error v6Error(std::string_view text) {
  return makeError(ErrorCode::Parse,
                   fmt::format("invalid IPv6 address \"{}\": expected eight groups of up to four "
                               "hex digits, with at most one \"::\"",
                               text));
}

Error endpointError(std::string_view text) {
  return makeError(ErrorCode::Parse,
                   fmt::format("invalid endpoint \"{}\": expected address:port, for example "
                               "192.0.2.1:80 or [2001:db8::1]:80",
                               text));
}

std::string_view familyName(const IpAddress& a) { return a.isV4() ? "IPv4" : "IPv6"; }

// `a`'s bytes with every bit after the first `length` cleared.
std::array<uint8_t, 16> maskedBytes(const IpAddress& a, int length) {
  std::array<uint8_t, 16> out{};
  auto in = a.bytes();
  for (size_t i = 0; i < in.size(); ++i) {
    int keep = length - static_cast<int>(i) * 8;
    if (keep >= 8) {
      out[i] = in[i];
    } else if (keep > 0) {
      out[i] = static_cast<uint8_t>(in[i] & (0xff << (8 - keep)));
    }
  }
  return out;
}

IpAddress fromMasked(const IpAddress& a, const std::array<uint8_t, 16>& bytes) {
  if (a.isV6()) return IpAddress::fromV6Bytes(bytes);
  return IpAddress::fromV4Bytes({bytes[0], bytes[1], bytes[2], bytes[3]});
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parseV6(text);
  if (text.find('.') != std::string_view::npos) return parseV4(text);
  return makeError(ErrorCode::Parse,
                   fmt::format("invalid IP address \"{}\": expected an IPv4 address (a.b.c.d) or "
                               "an IPv6 address (for example 2001:db8::1)",
                               text));
}

Result<IpAddress> IpAddress::parseV4(std::string_view text) {
  std::array<uint8_t, 4> out{};
  size_t pos = 0;
  for (size_t part = 0; part < out.size(); ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return v4Error(text);
      ++pos;
    }
    size_t start = pos;
    unsigned value = 0;
    while (pos < text.size() && pos - start < 3 && isDigit(text[pos])) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    size_t digits = pos - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return v4Error(text);
    out[part] = static_cast<uint8_t>(value);
  }
  if (pos != text.size()) return v4Error(text);
  return fromV4Bytes(out);
}

Result<IpAddress> IpAddress::parseV6(std::string_view text) {
  if (size_t pct = text.find('%'); pct != std::string_view::npos) {
    return makeError(ErrorCode::Parse,
                     fmt::format("invalid IPv6 address \"{}\": zone ids such as \"{}\" are not "
                                 "supported",
                                 text, text.substr(pct)));
  }
  // The check also keeps NUL bytes away from inet_pton, which would stop reading there.
  for (char c : text) {
    if (!isV6Char(c)) return v6Error(text);
  }
  std::array<uint8_t, 16> out{};
  if (inet_pton(AF_INET6, std::string(text).c_str(), out.data()) != 1) return v6Error(text);
  return fromV6Bytes(out);
}

IpAddress IpAddress::v4(uint32_t host_order) {
  return fromV4Bytes({static_cast<uint8_t>(host_order >> 24),
                      static_cast<uint8_t>(host_order >> 16), static_cast<uint8_t>(host_order >> 8),
                      static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::fromV4Bytes(std::array<uint8_t, 4> bytes) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
  return a;
}

IpAddress IpAddress::fromV6Bytes(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.v6_ = true;
  a.bytes_ = bytes;
  return a;
}

int IpAddress::family() const { return v6_ ? AF_INET6 : AF_INET; }

uint32_t IpAddress::v4HostOrder() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::str() const {
  if (!v6_) return fmt::format("{}.{}.{}.{}", bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

bool IpAddress::isUnspecified() const {
  for (uint8_t b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

bool IpAddress::isLinkLocal() const {
  if (v6_) return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
  return bytes_[0] == 169 && bytes_[1] == 254;
}

bool IpAddress::isMulticast() const {
  if (v6_) return bytes_[0] == 0xff;
  return (bytes_[0] & 0xf0) == 0xe0;
}

size_t hashValue(const IpAddress& address) {
  uint64_t h = address.isV6() ? 0xcbf29ce484222325ull : 0x84222325cbf29ce4ull;  // FNV-1a
  for (uint8_t b : address.bytes()) {
    h = (h ^ b) * 0x100000001b3ull;
  }
  return static_cast<size_t>(h);
}

Result<Prefix> Prefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return address.error();
  int max = address->maxPrefixLength();
  if (slash == std::string_view::npos) return Prefix(*address, max);

  std::string_view len_text = text.substr(slash + 1);
  int length = 0;
  bool valid =
      !len_text.empty() && len_text.size() <= 3 && !(len_text.size() > 1 && len_text[0] == '0');
  for (size_t i = 0; valid && i < len_text.size(); ++i) {
    valid = isDigit(len_text[i]);
    length = length * 10 + (len_text[i] - '0');
  }
  if (!valid || length > max) {
    return makeError(ErrorCode::Parse,
                     fmt::format("invalid prefix length \"{}\" in \"{}\": expected 0-{} for {}",
                                 len_text, text, max, familyName(*address)));
  }
  return Prefix(*address, length);
}

Result<Prefix> Prefix::make(const IpAddress& address, int length) {
  if (length < 0 || length > address.maxPrefixLength()) {
    return makeError(ErrorCode::InvalidArgument,
                     fmt::format("invalid prefix length {} for {}: expected 0-{} for {}", length,
                                 address.str(), address.maxPrefixLength(), familyName(address)));
  }
  return Prefix(address, length);
}

bool Prefix::contains(const IpAddress& address) const {
  if (address.isV6() != address_.isV6()) return false;
  return maskedBytes(address, length_) == maskedBytes(address_, length_);
}

Prefix Prefix::network() const {
  return Prefix(fromMasked(address_, maskedBytes(address_, length_)), length_);
}

std::string Prefix::str() const { return fmt::format("{}/{}", address_.str(), length_); }

Result<uint16_t> parsePort(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  bool digits_only = !text.empty();
  for (char c : text) {
    if (!isDigit(c)) digits_only = false;
  }
  if (digits_only) {
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc() && ptr == end && value <= 65535) return static_cast<uint16_t>(value);
  }
  return makeError(ErrorCode::Parse,
                   fmt::format("invalid port \"{}\": expected a decimal number 0-65535", text));
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view port_text;
  Result<IpAddress> address = IpAddress();
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return endpointError(text);
    }
    address = IpAddress::parseV6(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) return endpointError(text);
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return makeError(ErrorCode::Parse,
                       fmt::format("invalid endpoint \"{}\": an IPv6 endpoint must be written "
                                   "[address]:port, for example [2001:db8::1]:80",
                                   text));
    }
    address = IpAddress::parse(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (!address) return address.error();
  auto port = parsePort(port_text);
  if (!port) return port.error();
  return Endpoint(*address, *port);
}

std::string Endpoint::str() const {
  if (address_.isV6()) return fmt::format("[{}]:{}", address_.str(), port_);
  return fmt::format("{}:{}", address_.str(), port_);
}

socklen_t Endpoint::toSockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof(out));
  if (address_.isV4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port_);
    std::memcpy(&sin.sin_addr, address_.bytes().data(), 4);
    std::memcpy(&out, &sin, sizeof(sin));
    return sizeof(sin);
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port_);
  std::memcpy(&sin6.sin6_addr, address_.bytes().data(), 16);
  std::memcpy(&out, &sin6, sizeof(sin6));
  return sizeof(sin6);
}

Result<Endpoint> Endpoint::fromSockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return makeError(ErrorCode::InvalidArgument, "no socket address (null)");
  if (len < sizeof(sa_family_t)) {
    return makeError(ErrorCode::InvalidArgument,
                     fmt::format("socket address too short: {} bytes", len));
  }
  sa_family_t family = 0;
  std::memcpy(&family, reinterpret_cast<const char*>(sa) + offsetof(sockaddr, sa_family),
              sizeof(family));
  if (family == AF_INET) {
    if (len < sizeof(sockaddr_in)) {
      return makeError(ErrorCode::InvalidArgument,
                       fmt::format("socket address too short: {} bytes for AF_INET, need {}", len,
                                   sizeof(sockaddr_in)));
    }
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof(sin));
    std::array<uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &sin.sin_addr, bytes.size());
    return Endpoint(IpAddress::fromV4Bytes(bytes), ntohs(sin.sin_port));
  }
  if (family == AF_INET6) {
    if (len < sizeof(sockaddr_in6)) {
      return makeError(ErrorCode::InvalidArgument,
                       fmt::format("socket address too short: {} bytes for AF_INET6, need {}", len,
                                   sizeof(sockaddr_in6)));
    }
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof(sin6));
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
    return Endpoint(IpAddress::fromV6Bytes(bytes), ntohs(sin6.sin6_port));
  }
  return makeError(ErrorCode::Unsupported,
                   fmt::format("unsupported socket address family {}: expected AF_INET ({}) or "
                               "AF_INET6 ({})",
                               family, AF_INET, AF_INET6));
}

std::string_view ipProtocolName(IpProtocol p) {
  switch (p) {
    case IpProtocol::Tcp:
      return "TCP";
    case IpProtocol::Udp:
      return "UDP";
    case IpProtocol::Sctp:
      return "SCTP";
  }
  return "?";
}

}  // namespace keel::base
