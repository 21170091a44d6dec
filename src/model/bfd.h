// bfd_instance NAME { ... }: one BFD session to a neighbour (RFC 5880 asynchronous mode over
// RFC 5881 single-hop UDP), with keepalived 2.2.7's defaults and ranges (docs/bfd.md). Plain
// value; any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/address.h"
#include "model/common.h"

namespace keel::model {

struct BfdInstance {
  std::string name;                                 // at most 31 characters, as keepalived
  base::IpAddress neighbor;                         // conf: neighbor_ip / neighbour_ip (required)
  std::optional<base::IpAddress> source;            // conf: source_ip; unset: the kernel's choice
  Duration min_rx = std::chrono::milliseconds(10);  // RequiredMinRxInterval when Up
  Duration min_tx = std::chrono::milliseconds(10);  // DesiredMinTxInterval when Up
  Duration idle_tx = std::chrono::milliseconds(1000);  // DesiredMinTxInterval when not Up
  int multiplier = 5;                                  // DetectMult, 1..255
  bool passive = false;  // send nothing until the neighbour has spoken
  // conf: ttl / hoplimit (1..255). Unset: keepalived's 255 (IPv4) / 64 (IPv6) for the receive
  // check; keel sends 255 on both families (RFC 5881 §5).
  std::optional<int> ttl;
  // conf: max_hops (-1..255): a received TTL may be this much below `ttl`; 255 turns the check
  // off. keepalived clamps it to ttl.
  int max_hops = 0;
  int weight = 0;  // conf: weight W [reverse]: the default track_bfd weight for VRRP
  bool weight_reverse = false;
  bool notify_vrrp = true;     // conf: `vrrp` / `checker` restrict who hears this session's
  bool notify_checker = true;  // events; neither keyword: both

  friend bool operator==(const BfdInstance&, const BfdInstance&) = default;
};

// The TTL (hop limit) the receive check compares with: `ttl` or keepalived's default.
inline int bfdExpectedTtl(const BfdInstance& b) {
  return b.ttl.value_or(b.neighbor.isV4() ? 255 : 64);
}

}  // namespace keel::model
