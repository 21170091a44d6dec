// FakeNet: a host in memory behind net::Sockets, for unit tests of the shells above net (the VRRP
// instance and engine). A test builds the host (links, addresses), delivers datagrams as the
// network would, changes links and addresses as an operator would, and reads back what the code
// under test did: addresses it added and removed, datagrams and frames it sent, groups it joined.
// Every change queues the event the kernel would send to each open Netlink; sockets and netlinks
// signal readiness through an eventfd, so an event::Loop watches them as it watches the kernel's.
// Test-only (library keel_net_fake); one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "net/sockets.h"

namespace keel::net {

class FakeNet final : public Sockets {
 public:
  struct Datagram {
    int ifindex = 0;
    base::IpAddress source;
    base::IpAddress destination;
    std::vector<std::uint8_t> payload;
  };
  struct Frame {
    int ifindex = 0;
    std::vector<std::uint8_t> bytes;
  };

  FakeNet();
  ~FakeNet() override;
  FakeNet(const FakeNet&) = delete;
  FakeNet& operator=(const FakeNet&) = delete;

  // -- the host --------------------------------------------------------------------------------
  // A new link, up and running, with a fresh index; returns the index.
  int addLink(const std::string& name, std::vector<std::uint8_t> mac = {2, 0, 0, 0, 0, 1});
  void setLink(const std::string& name, bool up, bool running);
  // The link and its addresses go (as `ip link del`: the address removals, then the link's).
  void removeLink(const std::string& name);
  // An address the operator adds or removes ("198.18.0.1/24").
  void addHostAddress(const std::string& link, const std::string& prefix);
  void removeHostAddress(const std::string& link, const std::string& prefix);
  int index(const std::string& link) const;  // 0 when absent

  // -- what the code under test did ------------------------------------------------------------
  bool hasAddress(const std::string& link, const std::string& address) const;  // without length
  const std::vector<Datagram>& sent() const;
  const std::vector<Frame>& frames() const;
  void clearSent();
  // The groups joined by the open sockets on `link`.
  std::set<base::IpAddress> groups(const std::string& link) const;
  std::size_t openIpSockets() const;

  // -- the network -----------------------------------------------------------------------------
  // Queues `packet` on every open socket of the link (multicast: if its group is joined there).
  void deliver(const std::string& link, const RawPacket& packet);

  // -- faults ----------------------------------------------------------------------------------
  // The next `n` openIp() calls fail with EMFILE.
  void failIpOpens(int n);
  // The next readEvents() reports lost events (ENOBUFS) instead of the queued ones.
  void loseEvents();

  // Sockets
  base::Result<std::unique_ptr<Netlink>> openNetlink() override;
  base::Result<std::unique_ptr<IpSocket>> openIp(const RawSocketOptions& options) override;
  base::Result<std::unique_ptr<FrameSocket>> openFrames(int ifindex) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace keel::net
