// One proxy worker thread (docs/dataplane.md, "The proxy data plane"): its own epoll loop, its
// own SO_REUSEPORT listening socket per service, the TCP connections it accepted (each relayed
// by a Relay) and the UDP sessions it opened. Created and destroyed by ProxyDataplane on the
// control-plane thread. Threads: publish() and connections() may be called from any thread;
// everything else runs on the worker's own thread.
#pragma once

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

namespace keel::dataplane::proxy {

class Worker {
 public:
  // Starts the thread. Fails if the epoll or eventfd cannot be made.
  static base::Result<std::unique_ptr<Worker>> start(Shared& shared);
  ~Worker();  // stops the thread, closes every socket it holds
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Hands the worker a new snapshot; it opens/closes listeners and closes connections whose real
  // left, on its own thread, soon after. Lock-free: an atomic store and an eventfd write.
  void publish(SnapshotPtr snapshot);

  // Appends up to `limit` entries of this worker's connection table to `out`.
  void connections(std::vector<Connection>& out, std::size_t limit) const;

  struct Conn;
  struct UdpSession;
  struct Listener;
  // What an epoll event points at.
  struct Tag {
    enum class Kind : std::uint8_t { Wake, Listener, Conn, Udp } kind;
    void* object = nullptr;
    Side side = Side::Client;
  };

 private:
  using Micros = std::chrono::microseconds;
  Worker(Shared& shared, base::UniqueFd epoll, base::UniqueFd wake);
  void run();
  Micros now() const;
  void applySnapshot();
  void dispatch(const Tag& tag, std::uint32_t events);
  void sweep();
  void setInterest(int fd, Tag* tag, std::uint32_t events, std::uint32_t* current);
  void unwatch(int fd, std::uint32_t* current);
  void reap();
  std::unique_ptr<Listener> openListenerFor(const Snapshot::Entry& e);
  void closeListener(Listener& l);

  // TCP (worker_tcp.cc)
  void onAccept(Listener& l);
  void acceptOne(Listener& l, base::UniqueFd fd, const sockaddr_storage& peer);
  void startConnectTo(Conn& c);
  void failConnect(Conn& c, Counter why);
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
  UdpSession* udpSession(Listener& l, const sockaddr_storage& peer);
  void closeSession(UdpSession& s);
  void sweepUdp(Micros t);

  void record(std::uint64_t id, Connection entry);
  void unrecord(std::uint64_t id);

  Shared& shared_;
  base::UniqueFd epoll_;
  base::UniqueFd wake_;
  Tag wake_tag_{Tag::Kind::Wake};
  std::atomic<bool> stop_{false};
  std::atomic<std::shared_ptr<const Snapshot>> pending_;
  std::thread thread_;

  // Worker thread only:
  base::SteadyClock clock_;
  SnapshotPtr snapshot_;
  std::map<lb::ServiceKey, std::unique_ptr<Listener>> listeners_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<std::uint64_t> dead_;  // closed in this batch, freed after it
  std::vector<std::unique_ptr<UdpSession>> dead_sessions_;
  std::vector<std::unique_ptr<char[]>> spare_buffers_;  // freed relay buffers, reused
  std::uint64_t next_id_ = 1;
  Micros last_sweep_{};

  mutable std::mutex table_mu_;
  std::map<std::uint64_t, Connection> table_;  // GUARDED_BY(table_mu_)
};

}  // namespace keel::dataplane::proxy
