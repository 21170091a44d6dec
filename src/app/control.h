// keeld's operations side (docs/keelctl.md, docs/metrics.md): the control socket
// RUNTIME_DIR/keel.sock that keelctl talks to, and the optional Prometheus listener
// (global_defs keel_metrics_listen). Both read the running daemon through ControlSources, getters
// that are asked on every request, because keeld replaces its engines on reload. Created once by
// runDaemon; loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "ctl/stream_server.h"
#include "dataplane/dataplane.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::vrrp {
class EngineThread;
struct EngineStatus;
}  // namespace keel::vrrp

namespace keel::app {

class DataplaneWiring;
class Services;

// What the views read, each a getter that may return null (not configured, not running).
struct ControlSources {
  std::function<std::shared_ptr<const model::Config>()> config;
  std::function<std::shared_ptr<const vrrp::EngineStatus>()> vrrp;  // the latest published
  std::function<const Services*()> services;
  std::function<const dataplane::Dataplane*()> dataplane;
  // Reloads as SIGHUP does; the error says why the running configuration stays.
  std::function<base::Status()> reload;
};

// keeld's sources: getters over runDaemon's variables, which must outlive the Operations.
ControlSources sourcesOf(const std::optional<model::Config>& config,
                         const std::unique_ptr<vrrp::EngineThread>& vrrp,
                         const std::unique_ptr<Services>& services,
                         const std::unique_ptr<DataplaneWiring>& dataplane,
                         std::function<base::Status()> reload);

class Operations {
 public:
  virtual ~Operations() = default;
  // The control socket's peers (accepted, refused, oversized, timed out).
  virtual const ctl::ServerCounters& controlCounters() const = 0;
};

// Creates `runtime_dir` (0700) if missing (and removes it again on destruction when empty), listens
// on runtime_dir/keel.sock (0600; peers other than root and keeld's own user are refused) and, when
// the configuration sets keel_metrics_listen, serves GET /metrics there. Errors: System (socket,
// bind); a metrics listener that cannot bind is logged and skipped, the control socket still runs.
base::Result<std::unique_ptr<Operations>> startOperations(event::Loop& loop,
                                                          const std::string& runtime_dir,
                                                          ControlSources sources);

}  // namespace keel::app
