// keeld's operations side (docs/keelctl.md, docs/metrics.md): the control socket
// RUNTIME_DIR/keel.sock that keelctl talks to, and the optional Prometheus listener
// (global_defs keel_metrics_listen). Both read the running daemon through ControlSources, getters
// that are asked on every request, because keeld replaces its engines on reload. `reload` is
// answered when the reload is done, its file read off the loop. Created once by runDaemon; loop
// thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/config_loader.h"
#include "base/error.h"
#include "ctl/stream_server.h"
#include "dataplane/dataplane.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::vrrp {
class EngineThread;
struct EngineStatus;
}  // namespace keel::vrrp
namespace keel::lvs {
class Engine;
}

namespace keel::app {

// What the views read, each a getter that may return null (not configured, not running).
struct ControlSources {
  std::function<std::shared_ptr<const model::Config>()> config;
  std::function<std::shared_ptr<const vrrp::EngineStatus>()> vrrp;  // the latest published
  std::function<const lvs::Engine*()> lvs;
  std::function<const dataplane::Dataplane*()> dataplane;
  // Reloads as SIGHUP does (off the loop) and calls back with the outcome.
  std::function<void(ConfigLoader::Done)> reload;
  // Reads FILE off the loop and calls back with the plan a reload to it would apply, applying
  // nothing. Errors: State when too many reads wait.
  std::function<base::Status(std::string file, ConfigLoader::Done)> check;
};

// keeld's getters over runDaemon's variables, which must outlive the Operations (reload and
// check are the daemon's to set). `config` is the daemon's running snapshot: the views get that
// same pointer, never a copy.
ControlSources sourcesOf(const std::shared_ptr<const model::Config>& config,
                         const std::unique_ptr<vrrp::EngineThread>& vrrp,
                         const std::unique_ptr<lvs::Engine>& lvs,
                         const std::unique_ptr<dataplane::Dataplane>& dataplane);

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
