// DnsProbe: DNS_CHECK (docs/reference/keepalived.md §1.14) — one recursive query of the configured
// type and name over UDP to the target endpoint (connect_port, else the real server's port;
// keepalived has no DNS default port either). The codec is pure: encodeDnsQuery builds the query
// (RFC 1035 §4.1), judgeDnsReply decides on each datagram. Like keepalived's check_dns.c, a
// datagram too short for a header, with another id or without the QR bit is not our answer and is
// skipped; a reply with a non-zero RCODE fails; answers are not required. Beyond keepalived, a
// reply whose question is malformed or is not ours fails. Loop thread only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

// The QTYPE for a DNS_CHECK `type` (A, NS, CNAME, SOA, MX, TXT, AAAA; any case).
// Errors: InvalidArgument for another name.
base::Result<std::uint16_t> dnsTypeCode(std::string_view type);

// A standard query with RD set for `name` ("." or empty: the root; a trailing dot is allowed),
// QTYPE `type`, QCLASS IN. Errors: InvalidArgument for an empty label, a label over 63 octets
// or a name over 255 octets on the wire.
base::Result<std::vector<std::uint8_t>> encodeDnsQuery(std::uint16_t id, std::string_view name,
                                                       std::uint16_t type);

struct DnsVerdict {
  enum class Kind { Accept, Reject, Skip };
  Kind kind = Kind::Skip;
  std::string reason;  // why it was rejected or skipped
};

// Judges `reply` against the `query` that encodeDnsQuery made. Bounded: reads at most the
// datagram, follows at most a few compression pointers, each strictly backwards.
DnsVerdict judgeDnsReply(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply);

class DnsProbe final : public SocketProbe {
 public:
  DnsProbe(event::Loop& loop, ProbeTarget target, model::DnsCheck check);

  void start(base::TimePoint deadline, Done done) override;

 private:
  void onReadable();

  ProbeTarget target_;
  model::DnsCheck check_;
  std::vector<std::uint8_t> query_;
  std::string last_skip_;  // why the last datagram was skipped, for the timeout reason
};

}  // namespace keel::check
