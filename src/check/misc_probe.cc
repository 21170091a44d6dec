#include "check/misc_probe.h"

#include <algorithm>
#include <utility>

namespace keel::check {

ProbeResult judgeMiscExit(const event::ChildExit& exit, bool dynamic) {
  ProbeResult r;
  if (exit.timed_out) {
    r.reason = "timed out";
  } else if (!exit.exited) {
    r.reason = "failed (due to signal " + std::to_string(exit.signal) + ")";
  } else if (exit.code == 0) {
    r.ok = true;
  } else if (dynamic && exit.code >= 2 && exit.code <= 255) {
    r.ok = true;
    r.weight = exit.code - 2;
  } else {
    r.reason = "failed (exited with status " + std::to_string(exit.code) + ")";
  }
  return r;
}

MiscProbe::MiscProbe(event::Loop& loop, model::MiscCheck check, event::ScriptPolicy policy)
    : loop_(loop), check_(std::move(check)), policy_(std::move(policy)), timer_(loop.clock()) {}

MiscProbe::~MiscProbe() { cancel(); }

void MiscProbe::start(base::TimePoint deadline, Done done) {
  releaseChild();  // a script still dying from an earlier attempt: kill it now
  done_ = std::move(done);
  const event::ScriptSpec spec{
      .argv = check_.path.argv, .user = check_.path.user, .group = check_.path.group};
  auto argv = event::prepareScript(spec, policy_);
  if (!argv) {
    timer_.armAt(loop_.clock().now(), [this, e = argv.error()] { finish({.reason = e.str()}); });
    return;
  }
  // The child's own timer is armed first, so at the deadline SIGTERM goes out before onDeadline
  // reports; a zero timeout would mean "no limit", hence at least 1 ns.
  const base::Duration left =
      std::max(deadline - loop_.clock().now(), base::Duration(std::chrono::nanoseconds(1)));
  auto child = event::ChildProcess::spawn(loop_, {.argv = std::move(*argv), .timeout = left},
                                          [this](const event::ChildExit& exit) { onExit(exit); });
  if (!child) {
    timer_.armAt(loop_.clock().now(), [this, e = child.error()] {
      finish({.reason = e.str(), .no_descriptor = outOfDescriptors(e)});
    });
    return;
  }
  child_ = std::move(*child);
  timer_.armAt(deadline, [this] { onDeadline(); });
}

void MiscProbe::cancel() {
  timer_.disarm();
  done_ = nullptr;
  releaseChild();
}

void MiscProbe::onExit(const event::ChildExit& exit) {
  // Called from inside the ChildProcess: it may only be destroyed once this call has returned.
  std::shared_ptr<event::ChildProcess> ended(std::move(child_));
  loop_.post([ended] {});
  if (!done_) return;  // reported at the deadline already
  finish(judgeMiscExit(exit, check_.dynamic));
}

void MiscProbe::onDeadline() {
  // The script has had SIGTERM; the ChildProcess escalates to SIGKILL and reaps it later.
  finish({.reason = "timed out"});
}

void MiscProbe::finish(ProbeResult result) {
  timer_.disarm();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // may destroy this probe: nothing after
}

void MiscProbe::releaseChild() { child_.reset(); }

}  // namespace keel::check
