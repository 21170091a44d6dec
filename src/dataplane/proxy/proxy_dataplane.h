// The userspace proxy data plane (docs/dataplane.md, "The proxy data plane"): a
// dataplane::Dataplane that forwards TCP and UDP virtual services as a full proxy with N worker
// threads, each running its own event::Loop with its own SO_REUSEPORT listening sockets. apply()
// publishes an immutable snapshot to the workers (posted to each worker's loop); the per-service
// scheduling state it keeps across tables is shared by the workers (service_state.h). Created by
// app's factory, applied to and destroyed on the control-plane thread; stats(), counters() and
// connections() also from that thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/proxy/limits.h"
#include "dataplane/proxy/shared.h"
#include "dataplane/proxy/worker.h"

namespace keel::dataplane::proxy {

class ProxyDataplane final : public Dataplane {
 public:
  // Starts `workers` worker threads (0: one per CPU). `limits` holds the caps an outsider could
  // otherwise exhaust: flows in all (sized from keeld's descriptor budget), per service, per
  // client prefix.
  static base::Result<std::unique_ptr<ProxyDataplane>> start(std::size_t workers,
                                                             Limits limits = {});
  ~ProxyDataplane() override;
  ProxyDataplane(const ProxyDataplane&) = delete;
  ProxyDataplane& operator=(const ProxyDataplane&) = delete;

  std::string_view name() const override { return "proxy"; }
  std::string_view title() const override { return "Proxy data plane"; }
  // Services the proxy cannot serve (DR or TUN reals, fwmark services) are left out and named in
  // the error; the others are applied all the same.
  base::Status apply(std::shared_ptr<const lb::ServiceTable> table) override;
  // The proxy's settings (workers, limits) are read at start; nothing in a reload changes it.
  void reload(std::shared_ptr<const model::Config> config) override { (void)config; }
  base::Result<std::vector<ServiceStats>> stats() const override;
  base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const override;
  base::Result<std::vector<Connection>> connections(std::size_t limit) const override;

  std::size_t workerCount() const { return workers_.size(); }

 private:
  explicit ProxyDataplane(Limits limits) : shared_(std::make_unique<Shared>(limits)) {}

  std::unique_ptr<Shared> shared_;  // outlives the workers (declared first, destroyed last)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<lb::ServiceKey, ServiceStatePtr> states_;  // control-plane thread only
  SnapshotPtr snapshot_;
};

// Why the proxy cannot serve `service`, or the empty string when it can.
std::string unsupportedReason(const lb::Service& service);

}  // namespace keel::dataplane::proxy
