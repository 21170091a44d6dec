// Notifier: how the engines tell the outside world about a transition (docs/reference/keepalived.md
// §2.11-2.12, §3.3): notify scripts run as child processes under the script policy, and lines
// written to the notify FIFOs. VRRP and the checkers' wiring in app share it. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "event/child_process.h"
#include "event/loop.h"
#include "event/script_policy.h"

namespace keel::event {

class Notifier {
 public:
  explicit Notifier(Loop& loop) : loop_(loop) {}

  void setPolicy(ScriptPolicy policy) { policy_ = std::move(policy); }
  const ScriptPolicy& policy() const { return policy_; }

  // Starts `script` (killed after kTimeout); `why` names it in log lines ("(VI_1) notify").
  // A script that cannot run or fails is logged, never fatal.
  void run(const ScriptSpec& script, const std::string& why);
  // Scripts started and not yet reaped.
  std::size_t running();

  static constexpr base::Duration kTimeout = std::chrono::seconds(60);

 private:
  Loop& loop_;
  ScriptPolicy policy_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

// Writes `line` to each FIFO path that has a reader. A FIFO without a reader is skipped
// (O_NONBLOCK gives ENXIO), so keeld never blocks on it; a path that is not a FIFO (a regular
// file would be overwritten) is skipped and logged, as are other errors (rate-limited).
void writeFifoLine(const std::vector<std::string>& paths, const std::string& line);

}  // namespace keel::event
