// MiscProbe: MISC_CHECK (docs/reference/keepalived.md §3.4) — runs misc_path as its user through
// the ScriptPolicy and judges the exit status. A script that overruns the attempt's deadline gets
// SIGTERM on its process group at the deadline (SIGKILL after the ChildProcess grace) and the
// attempt fails at the deadline. Loop thread only.
#pragma once

#include <memory>

#include "check/probe.h"
#include "event/child_process.h"
#include "event/script_policy.h"

namespace keel::check {

// The verdict on one script run, as keepalived's check_misc.c gives it: exit 0 is success
// (weight unchanged); without `dynamic` any other end is a failure; with `dynamic` exit 1 is a
// failure and 2..255 a success that sets the weight to status - 2. A script killed by a signal
// or for overrunning its time fails. Pure.
ProbeResult judgeMiscExit(const event::ChildExit& exit, bool dynamic);

class MiscProbe final : public Probe {
 public:
  MiscProbe(event::Loop& loop, model::MiscCheck check, event::ScriptPolicy policy);
  ~MiscProbe() override;
  MiscProbe(const MiscProbe&) = delete;
  MiscProbe& operator=(const MiscProbe&) = delete;

  void start(base::TimePoint deadline, Done done) override;
  void cancel() override;

 private:
  void onExit(const event::ChildExit& exit);
  void onDeadline();
  void finish(ProbeResult result);
  void releaseChild();

  event::Loop& loop_;
  model::MiscCheck check_;
  event::ScriptPolicy policy_;
  std::unique_ptr<event::ChildProcess> child_;  // the running script, until it is reaped
  base::Timer timer_;                           // the deadline, or an early report
  Done done_;                                   // set while an attempt is unreported
};

}  // namespace keel::check
