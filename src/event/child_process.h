// ChildProcess: a program run by the control plane (notify, track and check scripts), watched by
// the event loop without blocking it and killed when it overruns its time.
//
// The child gets its own process group, default signal dispositions and an empty signal mask
// (the loop blocks the signals it handles, and a script must not inherit that), stdin,
// stdout and stderr on /dev/null and no other descriptor (fds 3 and up are closed in the child).
// Its exit is seen through a pidfd in the loop. On timeout the whole process group gets SIGTERM,
// then SIGKILL after `kill_grace`; a program that ends in time may leave background children
// running, as keepalived lets it. Destroying a ChildProcess that still runs kills its group and
// reaps it. Loop thread only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "event/loop.h"

namespace keel::event {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "NAME=value"; empty: inherit keeld's environment
  base::Duration timeout{};       // zero: no limit
  base::Duration kill_grace = std::chrono::seconds(1);
};

struct ChildExit {
  bool exited = false;  // true: exited with `code`; false: killed by signal `signal`
  int code = 0;
  int signal = 0;
  bool timed_out = false;  // keel killed it because it overran ChildOptions::timeout
  base::Duration runtime{};

  bool success() const { return exited && code == 0 && !timed_out; }
};

// A child that runs now, for a diagnostic dump (keeld's TDUMP signal).
struct RunningChild {
  pid_t pid = -1;
  std::string program;  // argv[0]
  base::Duration runtime{};
};

class ChildProcess {
 public:
  using ExitCallback = std::function<void(const ChildExit&)>;

  // Starts the program; `on_exit` runs on the loop once it has ended and been reaped (never from
  // inside spawn). The caller owns the returned object and must keep it alive until then.
  // Errors: InvalidArgument for an empty argv; System when the program cannot be started (for
  // example ENOENT for a missing program).
  static base::Result<std::unique_ptr<ChildProcess>> spawn(Loop& loop, ChildOptions options,
                                                           ExitCallback on_exit);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return running_; }
  // Sends `signo` to the child's process group if it still runs.
  void signalGroup(int signo) const;

  // Every ChildProcess of this process that runs (started and not yet reaped). Any thread.
  static std::vector<RunningChild> running(base::TimePoint now);

 private:
  ChildProcess(Loop& loop, ChildOptions options, ExitCallback on_exit);
  base::Status start();
  void onTimeout();
  void reap();

  Loop& loop_;
  ChildOptions options_;
  ExitCallback on_exit_;
  pid_t pid_ = -1;
  base::UniqueFd pidfd_;
  base::TimePoint started_{};
  base::Timer deadline_;
  bool running_ = false;
  bool timed_out_ = false;
};

}  // namespace keel::event
