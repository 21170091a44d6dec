// A VRRP advertisement as the state machine sees it, whatever the version and family: what the
// packet codec (vrrp/packet.h) yields after every receive check passed, and what it encodes for
// sending. Plain value; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "base/address.h"

namespace keel::vrrp {

using Centis = std::chrono::duration<std::int64_t, std::centi>;

struct Advert {
  int version = 2;            // 2 (RFC 3768) or 3 (RFC 5798/9568)
  std::uint8_t vrid = 0;      // 1..255
  std::uint8_t priority = 0;  // 0: the master is leaving; 255: the address owner
  // v2: whole seconds on the wire; v3: centiseconds (12 bits). Kept in centiseconds for both.
  Centis max_advert_int{100};
  base::IpAddress source;                  // the sender's address (IP header source)
  std::vector<base::IpAddress> addresses;  // the virtual addresses it carries

  friend bool operator==(const Advert&, const Advert&) = default;
};

}  // namespace keel::vrrp
