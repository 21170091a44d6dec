// `keelctl whereis VIP:PORT CLIENT_IP[:PORT]`: which real server a new flow from that client
// gets, and why (persistence template, scheduler, hash bucket). Answers from a ServiceTable and,
// when the caller has one, the live persistence table; without live scheduler state a stateful
// scheduler (rr, wrr, lc, ...) is asked as if freshly started, and the answer says so. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "lb/persistence.h"
#include "lb/service_table.h"

namespace keel::lb {

struct WhereIsQuery {
  base::IpAddress vip;
  std::uint16_t vport = 0;
  Protocol protocol = Protocol::Tcp;
  base::IpAddress client;
  std::uint16_t client_port = 0;
};

struct WhereIsAnswer {
  ServiceKey service;
  std::optional<RealKey> real;  // unset: no real server would take the flow
  std::string why;
};

// Fails with NotFound when no service matches VIP:PORT (or VIP port 0) for the protocol, and
// with InvalidArgument when the service's scheduler is unknown.
base::Result<WhereIsAnswer> whereIs(const ServiceTable& table, const WhereIsQuery& q,
                                    const PersistenceTable* persistence = nullptr, Micros now = {});

// "TCP 198.18.0.100:80 <- 198.18.3.1:40000: 198.18.1.2:80 (rr: ...)"
std::string formatWhereIs(const WhereIsQuery& q, const WhereIsAnswer& a);

}  // namespace keel::lb
