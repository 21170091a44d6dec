// The connection table: a map from the client's 5-tuple to the real server it was scheduled to,
// with IPVS's TCP state machine cut down to the states in conntrack.h. Transitions (client side =
// the director's input direction, server side = its output): RST from either side closes; a
// client SYN (re)opens a connection that is not established; the client's ACK or data after the
// SYN establishes it; the first FIN moves to FIN_WAIT (client) or CLOSE_WAIT (server), and the
// other side's FIN then to TIME_WAIT. Every packet re-arms the connection's timer with its new
// state's timeout; a connection is dead from its expiry on (now >= expires). UDP and other
// protocols stay in one state with the UDP timeout. A removed connection releases its template
// as of the moment it ended (its expiry, or its last packet when its real left), not as of the
// sweep that noticed it, so the template's remaining life does not depend on when sweeps run.
#include "lb/conntrack.h"

#include <algorithm>
#include <iterator>

namespace keel::lb {

namespace {

ConnState clientPacket(ConnState s, TcpFlags f) {
  if (f.rst) return ConnState::Close;
  if (f.syn && !f.ack) return s == ConnState::Established ? s : ConnState::SynRecv;
  if (f.fin) {
    if (s == ConnState::CloseWait || s == ConnState::TimeWait) return ConnState::TimeWait;
    if (s == ConnState::Close) return s;
    return ConnState::FinWait;
  }
  return s == ConnState::SynRecv ? ConnState::Established : s;
}

ConnState serverPacket(ConnState s, TcpFlags f) {
  if (f.rst) return ConnState::Close;
  if (f.fin) {
    if (s == ConnState::FinWait || s == ConnState::TimeWait) return ConnState::TimeWait;
    if (s == ConnState::SynRecv || s == ConnState::Established || s == ConnState::CloseWait) {
      return ConnState::CloseWait;
    }
  }
  return s;
}

// The state of a new TCP connection after its first (client) packet. Without a SYN the flow is
// picked up midway, as IPVS's sloppy_tcp does: data means it is established.
ConnState firstState(TcpFlags f) {
  if (f.rst) return ConnState::Close;
  if (f.syn) return ConnState::SynRecv;
  if (f.fin) return ConnState::FinWait;
  return ConnState::Established;
}

}  // namespace

std::string_view connStateName(ConnState s) {
  switch (s) {
    case ConnState::SynRecv:
      return "SYN_RECV";
    case ConnState::Established:
      return "ESTABLISHED";
    case ConnState::FinWait:
      return "FIN_WAIT";
    case ConnState::CloseWait:
      return "CLOSE_WAIT";
    case ConnState::TimeWait:
      return "TIME_WAIT";
    case ConnState::Close:
      return "CLOSE";
    case ConnState::Udp:
      return "UDP";
  }
  return "?";
}

Micros ConnTimeouts::of(ConnState s) const {
  switch (s) {
    case ConnState::SynRecv:
      return syn_recv;
    case ConnState::Established:
      return established;
    case ConnState::FinWait:
      return fin_wait;
    case ConnState::CloseWait:
      return close_wait;
    case ConnState::TimeWait:
      return time_wait;
    case ConnState::Close:
      return close;
    case ConnState::Udp:
      return udp;
  }
  return close;
}

void ConnTable::add(const ConnKey& key, const dataplane::ServiceKey& service,
                    const dataplane::RealKey& real, TcpFlags flags, std::optional<TemplateKey> tmpl,
                    Micros now) {
  auto old = conns_.find(key);
  if (old != conns_.end()) remove(old, std::min(now, old->second.expires));
  Conn c;
  c.service = service;
  c.real = real;
  c.state = key.protocol == dataplane::Protocol::Tcp ? firstState(flags) : ConnState::Udp;
  c.expires = now + timeouts_.of(c.state);
  c.last_seen = now;
  c.persistence = tmpl;
  conns_.emplace(key, c);
}

const ConnTable::Conn* ConnTable::packet(const ConnKey& key, TcpFlags flags, bool from_client,
                                         Micros now) {
  auto it = conns_.find(key);
  if (it == conns_.end()) return nullptr;
  Conn& c = it->second;
  if (now >= c.expires) {
    remove(it, c.expires);
    return nullptr;
  }
  if (c.state != ConnState::Udp) {
    c.state = from_client ? clientPacket(c.state, flags) : serverPacket(c.state, flags);
  }
  c.expires = now + timeouts_.of(c.state);
  c.last_seen = now;
  return &c;
}

std::size_t ConnTable::realGone(const dataplane::ServiceKey& service,
                                const dataplane::RealKey& real, NoDestPolicy policy) {
  if (policy == NoDestPolicy::Keep) return 0;
  std::size_t removed = 0;
  for (auto it = conns_.begin(); it != conns_.end();) {
    auto next = std::next(it);
    if (it->second.service == service && it->second.real == real) {
      remove(it, it->second.last_seen);
      ++removed;
    }
    it = next;
  }
  if (persistence_ != nullptr) persistence_->dropReal(service, real);
  return removed;
}

std::size_t ConnTable::expire(Micros now) {
  std::size_t removed = 0;
  for (auto it = conns_.begin(); it != conns_.end();) {
    auto next = std::next(it);
    if (now >= it->second.expires) {
      remove(it, it->second.expires);
      ++removed;
    }
    it = next;
  }
  return removed;
}

const ConnTable::Conn* ConnTable::find(const ConnKey& key) const {
  auto it = conns_.find(key);
  return it == conns_.end() ? nullptr : &it->second;
}

ConnTable::Counts ConnTable::counts(const dataplane::ServiceKey& service,
                                    const dataplane::RealKey& real) const {
  Counts out;
  for (const auto& [key, c] : conns_) {
    if (c.service != service || c.real != real) continue;
    if (c.state == ConnState::Established) {
      ++out.active;
    } else {
      ++out.inactive;
    }
  }
  return out;
}

void ConnTable::remove(std::map<ConnKey, Conn>::iterator it, Micros ended) {
  if (persistence_ != nullptr && it->second.persistence) {
    persistence_->connectionEnded(*it->second.persistence, ended);
  }
  conns_.erase(it);
}

}  // namespace keel::lb
