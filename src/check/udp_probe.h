// UdpProbe: UDP_CHECK (docs/reference/keepalived.md §1.14, keepalived's check_udp.c) — sends one
// datagram (the configured payload, else 32 bytes of filler text) on a connected UDP socket.
// Without require_reply the check passes unless the kernel reports an ICMP error for the socket
// (port unreachable arrives as ECONNREFUSED) before the deadline; any reply passes at once. With
// require_reply the first reply decides: its length must be within min..max_reply_length and
// it must match reply_data (X nibbles in the configuration are reply_mask bits) over the shorter
// of the two, as keepalived compares. Unlike keepalived, the length bounds also apply without a
// pattern. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

// What keepalived sends when no payload is configured.
std::vector<std::uint8_t> defaultUdpPayload();

// Why `reply` does not satisfy `check` (its length bounds, then its reply data over the shorter
// of the two, the reply_mask bits ignored), or nullopt when it does. Pure.
std::optional<std::string> udpReplyMismatch(std::span<const std::uint8_t> reply,
                                            const model::UdpCheck& check);

class UdpProbe final : public SocketProbe {
 public:
  UdpProbe(event::Loop& loop, ProbeTarget target, model::UdpCheck check);

  void start(base::TimePoint deadline, Done done) override;

 private:
  void onReadable();

  ProbeTarget target_;
  model::UdpCheck check_;
};

}  // namespace keel::check
