// The state the proxy workers share per virtual service: the scheduler, the persistence
// templates, each real's live connection counts and traffic counters. Owned by ProxyDataplane
// (shared_ptr) and referenced by every worker's snapshot and connections.
// Threads: counters are atomics any thread may touch; everything under `mu_` is taken only to
// schedule a new connection, to end one and by apply()/stats() - never per byte relayed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "dataplane/dataplane.h"
#include "lb/persistence.h"
#include "lb/scheduler.h"
#include "lb/service_table.h"

namespace keel::dataplane::proxy {

struct RealState {
  explicit RealState(const lb::RealKey& k) : key(k) {}
  const lb::RealKey key;
  std::atomic<std::uint64_t> conns{0};
  std::atomic<std::uint64_t> in_packets{0};  // reads from clients relayed toward this real
  std::atomic<std::uint64_t> in_bytes{0};
  std::atomic<std::uint64_t> out_packets{0};  // reads from this real relayed to clients
  std::atomic<std::uint64_t> out_bytes{0};
  std::atomic<std::int64_t> active{0};    // connections relaying both ways
  std::atomic<std::int64_t> inactive{0};  // connecting, half-closed, UDP sessions
  std::atomic<bool> removed{false};       // no longer in the service: its connections close

  Counters counters() const;
};
using RealStatePtr = std::shared_ptr<RealState>;

// A scheduling result: the real and the persistence template the connection is under.
struct Pick {
  RealStatePtr real;
  std::optional<lb::TemplateKey> persistence;
};

class ServiceState {
 public:
  static base::Result<std::shared_ptr<ServiceState>> make(const lb::Service& service);

  // A new table's version of this service: reals that stay keep their counters; removed reals
  // are marked removed. Fails (and keeps the old state) if the scheduler is unknown.
  base::Result<void> update(const lb::Service& service);

  // Picks a real for a new flow (persistence first, then the scheduler). `after`: a real that
  // just failed; the pick is the next available real after it in the table. nullopt: none.
  std::optional<Pick> pick(const lb::Flow& flow, std::chrono::microseconds now,
                           const RealState* after = nullptr);
  // A connection picked under `persistence` ended.
  void ended(const std::optional<lb::TemplateKey>& persistence, std::chrono::microseconds now);

  ServiceStats stats() const;
  const lb::ServiceKey& key() const { return key_; }
  std::atomic<std::int64_t>& liveConns() { return live_; }

 private:
  explicit ServiceState(const lb::ServiceKey& key) : key_(key) {}
  std::optional<Pick> nextAfter(const RealState* failed, const lb::Flow& flow,
                                std::chrono::microseconds now);

  const lb::ServiceKey key_;
  std::atomic<std::int64_t> live_{0};  // open TCP connections of this service
  mutable std::mutex mu_;
  lb::Service service_;                       // GUARDED_BY(mu_)
  std::unique_ptr<lb::Scheduler> scheduler_;  // GUARDED_BY(mu_)
  std::vector<RealStatePtr> reals_;           // GUARDED_BY(mu_); service_.reals' order
  lb::PersistenceTable persistence_;          // GUARDED_BY(mu_)
};
using ServiceStatePtr = std::shared_ptr<ServiceState>;

}  // namespace keel::dataplane::proxy
