// The connection-table model every data plane implements or mirrors (dataplane.md §3.2, §3.4):
// per-protocol states and timeouts as IPVS keeps them, the active/inactive counts the
// least-connection schedulers read, and what happens to connections of a real server that is
// removed or quiesced. Pure: time comes in as an argument. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "base/address.h"
#include "dataplane/service_table.h"
#include "lb/persistence.h"

namespace keel::lb {

// IPVS's TCP states (ip_vs_proto_tcp.c), plus one state for UDP and other protocols.
enum class ConnState : std::uint8_t {
  SynRecv,      // a SYN was seen from the client
  Established,  // the client sent an ACK after the handshake (or data)
  FinWait,      // the client sent FIN
  CloseWait,    // the server sent FIN first
  TimeWait,     // both sides sent FIN
  Close,        // RST seen
  Udp,
};
std::string_view connStateName(ConnState s);  // ipvsadm -Lnc names: SYN_RECV, ESTABLISHED, ...

// IPVS defaults (ipvsadm --set shows tcp 900 tcpfin 120 udp 300).
struct ConnTimeouts {
  Micros syn_recv = std::chrono::seconds(60);
  Micros established = std::chrono::seconds(900);
  Micros fin_wait = std::chrono::seconds(120);
  Micros close_wait = std::chrono::seconds(60);
  Micros time_wait = std::chrono::seconds(120);
  Micros close = std::chrono::seconds(10);
  Micros udp = std::chrono::seconds(300);

  Micros of(ConnState s) const;
};

// What happens to the connections of a real server that leaves the service.
enum class NoDestPolicy : std::uint8_t {
  // Forget them at once: the next packet of such a flow is scheduled anew (TCP gets a reset
  // from the new server; UDP simply moves). Like IPVS's expire_nodest_conn=1. The default: it
  // never black-holes a UDP flow for its whole timeout.
  Expire,
  // Keep forwarding them to the old server until they end (IPVS's default; useful when the
  // server is only drained from the balancer but still alive).
  Keep,
};

struct ConnKey {
  dataplane::Protocol protocol = dataplane::Protocol::Tcp;
  base::IpAddress client;
  std::uint16_t client_port = 0;
  base::IpAddress vip;
  std::uint16_t vport = 0;

  friend auto operator<=>(const ConnKey&, const ConnKey&) = default;
};

// TCP flags of a segment, as the state machine needs them.
struct TcpFlags {
  bool syn = false;
  bool ack = false;
  bool fin = false;
  bool rst = false;
};

class ConnTable {
 public:
  struct Conn {
    dataplane::ServiceKey service;
    dataplane::RealKey real;
    ConnState state = ConnState::SynRecv;
    Micros expires{};
    Micros last_seen{};                      // the time of its last packet
    std::optional<TemplateKey> persistence;  // the template that controls it, if any
  };

  explicit ConnTable(ConnTimeouts timeouts = {}, PersistenceTable* persistence = nullptr)
      : timeouts_(timeouts), persistence_(persistence) {}

  // A connection was scheduled to `real`; its first packet had `flags` (UDP: ignored). The
  // caller has already counted it in its template (PersistenceTable::connectionStarted, which
  // needs the service's timeout); the table releases the template when the connection goes.
  // A connection already under `key` is replaced (and its template released).
  void add(const ConnKey& key, const dataplane::ServiceKey& service, const dataplane::RealKey& real,
           TcpFlags flags, std::optional<TemplateKey> tmpl, Micros now);

  // A packet of a known connection, from the client (`from_client`) or the server. Returns the
  // connection, or nullptr if there is none (or it just expired). A TCP connection moves through
  // IPVS's states and gets the new state's timeout.
  const Conn* packet(const ConnKey& key, TcpFlags flags, bool from_client, Micros now);

  // The real server left its service.
  // Expire: its connections are forgotten now and the templates pointing at it dropped; Keep:
  // they stay. Returns how many were removed. A removed connection's template is released as of
  // the connection's last packet (last_seen), the last time it is known to have been alive.
  std::size_t realGone(const dataplane::ServiceKey& service, const dataplane::RealKey& real,
                       NoDestPolicy policy);

  // Drops expired connections (releasing their templates); returns how many.
  std::size_t expire(Micros now);

  const Conn* find(const ConnKey& key) const;
  std::size_t size() const { return conns_.size(); }

  // IPVS counts ESTABLISHED as active and every other state as inactive.
  struct Counts {
    std::uint32_t active = 0;
    std::uint32_t inactive = 0;
  };
  Counts counts(const dataplane::ServiceKey& service, const dataplane::RealKey& real) const;

 private:
  // Erases the connection and releases its template as of `ended`, when the connection ended.
  void remove(std::map<ConnKey, Conn>::iterator it, Micros ended);

  ConnTimeouts timeouts_;
  PersistenceTable* persistence_;  // not owned; may be null
  std::map<ConnKey, Conn> conns_;
};

}  // namespace keel::lb
