// keeld's operations side (docs/keelctl.md, docs/metrics.md): the control socket
// RUNTIME_DIR/keel.sock that keelctl talks to, and the optional Prometheus listener
// (global_defs keel_metrics_listen). Both read the running daemon through ControlSources, getters
// that are asked on every request, because keeld replaces its engines on reload: the engines'
// state as one RuntimeView (state_dump.h's collectView), the data plane's counters and
// connections from the data plane. `reload` is
// answered when the reload is done, its file read off the loop. Created once by runDaemon; loop
// thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/config_loader.h"
#include "app/state_dump.h"
#include "base/error.h"
#include "ctl/stream_server.h"
#include "dataplane/dataplane.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::app {

// What the views read. Each getter may be unset; `dataplane` may return null (not running).
struct ControlSources {
  std::function<RuntimeView()> view;  // the engines now (keeld: collectView)
  std::function<const dataplane::Dataplane*()> dataplane;
  // Reloads as SIGHUP does (off the loop) and calls back with the outcome.
  std::function<void(ConfigLoader::Done)> reload;
  // Reads FILE off the loop and calls back with the plan a reload to it would apply, applying
  // nothing. Errors: State when too many reads wait.
  std::function<base::Status(std::string file, ConfigLoader::Done)> check;
};

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
