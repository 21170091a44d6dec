// The Internet checksum (RFC 1071), fed in pieces, and the pseudo-header that IPv4 upper layers
// (RFC 768 style) and IPv6 (RFC 8200 §8.1) add to it. Used by the VRRP codec, the NA builder,
// the ICMP echo of PING_CHECK and the XDP packet fixtures.
// Plain value; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/address.h"

namespace keel::base {

class Checksum {
 public:
  // Every piece but the last must have an even length.
  void add(std::span<const std::uint8_t> bytes) {
    std::size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) sum_ += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
    if (i < bytes.size()) sum_ += std::uint32_t{bytes[i]} << 8;
  }
  void add16(std::uint32_t value) { sum_ += value & 0xffff; }
  // Source, destination, protocol and length: the zero fields of both pseudo-headers add nothing.
  void addPseudoHeader(const base::IpAddress& source, const base::IpAddress& destination,
                       std::uint8_t protocol, std::size_t length) {
    add(source.bytes());
    add(destination.bytes());
    add16(protocol);
    add16(static_cast<std::uint32_t>(length));
  }
  // The one's complement of the folded sum: what goes on the wire, and 0 when verifying data
  // that carries a correct checksum.
  std::uint16_t finish() const {
    std::uint64_t s = sum_;
    while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(~s & 0xffff);
  }

 private:
  std::uint64_t sum_ = 0;  // at most 64 KiB of input: no overflow
};

}  // namespace keel::base
