// What keeld does to its own process before the daemon runs, from keepalived's flags: enter a
// named network namespace (-s), set the umask (-u), allow core dumps (-m), and go to the
// background (without -n); and, always, raise the descriptor limit. Called from keeld's main before
// any socket is opened; main thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::app {

// setns(2) into /run/netns/NAME (what `ip netns add NAME` made). Errors: NotFound for a missing
// namespace, System for setns (EPERM without CAP_SYS_ADMIN).
base::Status enterNetworkNamespace(const std::string& name,
                                   const std::string& netns_dir = "/run/netns");

// RLIMIT_CORE to unlimited (keepalived -m). Errors: System.
base::Status allowCoreDumps();

// RLIMIT_NOFILE's soft limit raised to its hard limit (under systemd, LimitNOFILE in
// packaging/keel.service sets both). keepalived raises it by what its configuration needs; keel
// takes all it may and shares it out (base/fd_budget.h). Errors: System.
struct NoFileLimit {
  std::size_t before = 0;
  std::size_t now = 0;
};
base::Result<NoFileLimit> raiseNoFileLimit();

// The background child's line back to the parent that started it: the parent stays until the
// child reports the exit code the parent should return (0 once the daemon runs), so a start
// that fails is seen by whoever ran keeld (a shell, systemd's Type=forking).
class StartupReport {
 public:
  StartupReport() = default;  // foreground (-n): reports go nowhere
  explicit StartupReport(base::UniqueFd pipe) : pipe_(std::move(pipe)) {}

  // Tells the parent to exit with `code`; only the first report counts.
  void report(int code);

 private:
  base::UniqueFd pipe_;
};

// fork(); the parent waits for the child's report and returns it as `parent_exit` (1 when the
// child ends without one); the child gets setsid(), chdir("/"), stdin/stdout/stderr on
// /dev/null and the report to send. Errors: System (fork, pipe, /dev/null).
struct Daemonized {
  std::optional<int> parent_exit;  // set in the parent only
  StartupReport report;            // the child's
};
base::Result<Daemonized> daemonize();

}  // namespace keel::app
