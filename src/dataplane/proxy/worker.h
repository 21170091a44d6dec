// One proxy worker thread (docs/dataplane.md, "The proxy data plane"): its own event::Loop (the
// loop the control plane runs, one per thread), its own SO_REUSEPORT listening socket per
// service, the TCP connections it accepted (each relayed by a Relay) and the UDP sessions it
// opened. Created and destroyed by ProxyDataplane on the control-plane thread. Threads:
// publish() and connections() may be called from any thread (publish() posts to the worker's
// loop); everything else runs on the worker's own thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/unique_fd.h"
#include "dataplane/dataplane.h"
#include "dataplane/proxy/relay.h"
#include "dataplane/proxy/session_table.h"
#include "dataplane/proxy/shared.h"
#include "event/loop.h"

namespace keel::dataplane::proxy {

class Worker {
 public:
  // Starts the thread. Fails if its event loop cannot be made.
  static base::Result<std::unique_ptr<Worker>> start(Shared& shared);
  ~Worker();  // stops the thread, closes every socket it holds
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Hands the worker a new snapshot; it opens/closes listeners and closes connections whose real
  // left, on its own thread, soon after (a post() to its loop).
  void publish(SnapshotPtr snapshot);

  // Appends up to `limit` entries of this worker's connection table to `out`.
  void connections(std::vector<Connection>& out, std::size_t limit) const;

  struct Conn;
  struct UdpSession;
  struct Listener;

 private:
  using Micros = std::chrono::microseconds;
  explicit Worker(Shared& shared);
  void run();
  Micros now() const;
  void applySnapshot(const SnapshotPtr& snap);
  void sweep();
  void armSweep();
  // Watches `fd` for `events` (with the callback `make()` returns, the first time) or changes
  // what it is watched for; nothing when `*current` already says so.
  template <typename MakeCallback>
  void setInterest(int fd, std::uint32_t events, std::uint32_t* current, MakeCallback make);
  void unwatch(int fd, std::uint32_t* current);
  void reap();
  std::unique_ptr<Listener> openListenerFor(const Snapshot::Entry& e);
  void watchListener(Listener& l, std::uint32_t events);
  void pauseListener(Listener& l);
  void closeListener(Listener& l);

  // TCP (worker_tcp.cc)
  void onAccept(Listener& l);
  void acceptOne(Listener& l, base::UniqueFd fd, const base::Endpoint& peer);
  void startConnectTo(Conn& c);
  void failConnect(Conn& c, Counter why);
  void watchConn(Conn& c, Side side, std::uint32_t events);
  void onConn(Conn& c, Side side, std::uint32_t events);
  void onConnecting(Conn& c);
  void pumpHup(Conn& c);
  bool readSide(Conn& c, Side s);
  bool writeToward(Conn& c, Side to);
  void act(Conn& c, const RelayAction& a);
  void updateInterest(Conn& c);
  std::unique_ptr<char[]> takeBuffer();
  void giveBuffer(std::unique_ptr<char[]> b);
  void recount(Conn& c);
  void closeConn(Conn& c);
  void sweepConns(Micros t);

  // UDP (worker_udp.cc)
  void onUdpListener(Listener& l);
  void onUdpReply(UdpSession& s);
  UdpSession* udpSession(Listener& l, const sockaddr_storage& peer, socklen_t len);
  UdpSession* openSession(Listener& l, const base::Endpoint& client, const sockaddr_storage& peer,
                          socklen_t len);
  void closeSession(UdpSession& s);
  void sweepUdp(Micros t);

  void record(std::uint64_t id, Connection entry);
  void unrecord(std::uint64_t id);

  Shared& shared_;
  base::SteadyClock clock_;  // this thread's timers; declared before the loop that reads it
  std::unique_ptr<event::Loop> loop_;
  std::thread thread_;

  // Worker thread only:
  std::unique_ptr<base::Timer> sweep_timer_;
  SnapshotPtr snapshot_;
  std::map<lb::ServiceKey, std::unique_ptr<Listener>> listeners_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<std::uint64_t> dead_;  // closed; freed by the next sweep (no callback runs then)
  std::vector<std::unique_ptr<UdpSession>> dead_sessions_;
  std::vector<std::unique_ptr<char[]>> spare_buffers_;  // freed relay buffers, reused
  std::uint64_t next_id_ = 1;

  mutable std::mutex table_mu_;
  std::map<std::uint64_t, Connection> table_;  // GUARDED_BY(table_mu_)
};

}  // namespace keel::dataplane::proxy
