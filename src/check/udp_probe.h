// UdpProbe: UDP_CHECK (docs/reference/keepalived.md §1.14, keepalived's check_udp.c) — sends one
// datagram (the configured payload, else 32 bytes of filler text) on a connected UDP socket.
// Without require_reply the check passes unless the kernel reports an ICMP error for the socket
// (port unreachable arrives as ECONNREFUSED) before the deadline; any reply passes at once. With
// require_reply the first reply decides: its length must be within min..max_reply_length and
// it must match reply_pattern (hex octets, X for a wildcard nibble) over the shorter of the two,
// as keepalived compares. Unlike keepalived, the length bounds also apply without a pattern.
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

struct ReplyPattern {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> wildcard;  // per octet, the bits that match anything

  friend bool operator==(const ReplyPattern&, const ReplyPattern&) = default;
};

// Parses keepalived's hex notation: octets of two hex digits (or one before a blank or the
// end), blanks between them ignored, 'X'/'x' a wildcard nibble. Empty text is an empty pattern.
// Errors: Parse for any other character.
base::Result<ReplyPattern> parseReplyPattern(std::string_view text);

// What keepalived sends when no payload is configured.
std::vector<std::uint8_t> defaultUdpPayload();

// Why `reply` does not satisfy the check, or nullopt when it does. Pure.
std::optional<std::string> udpReplyMismatch(std::span<const std::uint8_t> reply,
                                            const ReplyPattern& pattern, int min_length,
                                            int max_length);

class UdpProbe final : public SocketProbe {
 public:
  UdpProbe(event::Loop& loop, ProbeTarget target, model::UdpCheck check);

  void start(base::TimePoint deadline, Done done) override;

 private:
  void onReadable();

  ProbeTarget target_;
  model::UdpCheck check_;
  base::Result<ReplyPattern> pattern_;
};

}  // namespace keel::check
