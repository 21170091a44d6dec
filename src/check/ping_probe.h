// PingProbe: PING_CHECK (docs/reference/keepalived.md §1.14, keepalived's check_ping.c) — one ICMP
// or ICMPv6 echo request (RFC 792; RFC 4443 §4.1) to the target address; an echo reply with our
// identifier and sequence number before the deadline passes it. The socket is an unprivileged
// ICMP datagram socket when net.ipv4.ping_group_range admits keeld's group (the kernel then
// owns the identifier and filters replies), else a raw socket (root), where other ICMP traffic
// is skipped. keeld does not widen ping_group_range as keepalived does. The codec is pure.
// Loop thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

// An echo request: type 8 (v4) or 128 (v6), code 0, `id`, `seq`, then `payload`. The ICMPv4
// checksum is filled in; the ICMPv6 one is left zero, as the kernel computes it (RFC 3542 §3.1).
std::vector<std::uint8_t> encodeEchoRequest(bool v6, std::uint16_t id, std::uint16_t seq,
                                            std::span<const std::uint8_t> payload);

struct EchoVerdict {
  bool match = false;
  std::string reason;  // why a packet was skipped
};

// Whether `packet` is the echo reply to (`id`, `seq`). With `ip_header` the packet starts with
// an IPv4 header (raw ICMPv4 sockets), which is checked and skipped. Bounded; never fails
// outright: anything else is skipped with a reason.
EchoVerdict judgeEchoReply(std::span<const std::uint8_t> packet, bool v6, bool ip_header,
                           std::uint16_t id, std::uint16_t seq);

class PingProbe final : public SocketProbe {
 public:
  PingProbe(event::Loop& loop, ProbeTarget target);

  void start(base::TimePoint deadline, Done done) override;

  // Whether the last attempt used a raw socket (for tests and diagnostics).
  bool usedRawSocket() const { return raw_; }

 private:
  base::Status open();
  void onReadable();

  ProbeTarget target_;
  bool raw_ = false;
  std::uint16_t id_ = 0;
  std::uint16_t seq_ = 0;
  std::string last_skip_;
};

}  // namespace keel::check
