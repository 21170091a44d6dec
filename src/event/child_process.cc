#include "event/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <mutex>

extern char** environ;

namespace keel::event {

namespace {

std::vector<char*> cStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn attributes and file actions, released on every path.
struct SpawnSetup {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Own process group, no blocked signals, every signal at its default, stdio on /dev/null, no
  // other descriptor.
  int configure() {
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    int err = posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (err == 0) err = posix_spawnattr_setpgroup(&attr, 0);
    if (err == 0) err = posix_spawnattr_setsigmask(&attr, &none);
    if (err == 0) err = posix_spawnattr_setsigdefault(&attr, &all);
    for (int fd = 0; fd <= 2 && err == 0; ++fd) {
      err = posix_spawn_file_actions_addopen(&actions, fd, "/dev/null",
                                             fd == 0 ? O_RDONLY : O_WRONLY, 0);
    }
    // Every fd keeld owns is close-on-exec already; this also closes any a library opened
    // without it, so a script never holds one of keeld's descriptors (close_range(3, ~0U)).
    if (err == 0) err = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    return err;
  }
};

// Every running child, by pid: its program and start, for running().
struct Registry {
  std::mutex mu;
  std::map<pid_t, std::pair<std::string, base::TimePoint>> children;  // guarded by mu
};

Registry& registry() {
  static Registry r;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
  return r;
}

void registerChild(pid_t pid, const std::string& program, base::TimePoint started) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.children[pid] = {program, started};
}

void unregisterChild(pid_t pid) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.children.erase(pid);
}

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

base::Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(Loop& loop, ChildOptions options,
                                                                ExitCallback on_exit) {
  if (options.argv.empty()) {
    return base::makeError(base::ErrorCode::InvalidArgument, "cannot run a program without argv");
  }
  std::unique_ptr<ChildProcess> child(
      new ChildProcess(loop, std::move(options), std::move(on_exit)));
  KEEL_TRY(child->start());
  return child;
}

ChildProcess::ChildProcess(Loop& loop, ChildOptions options, ExitCallback on_exit)
    : loop_(loop),
      options_(std::move(options)),
      on_exit_(std::move(on_exit)),
      deadline_(loop.clock()) {}

ChildProcess::~ChildProcess() {
  if (!running_) return;
  loop_.unwatch(pidfd_.get());
  signalGroup(SIGKILL);
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  unregisterChild(pid_);
}

std::vector<RunningChild> ChildProcess::running(base::TimePoint now) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<RunningChild> out;
  for (const auto& [pid, what] : r.children) out.push_back({pid, what.first, now - what.second});
  return out;
}

base::Status ChildProcess::start() {
  SpawnSetup setup;
  if (int err = setup.configure(); err != 0) return KEEL_SYS_ERROR(err, "posix_spawn setup");
  std::vector<char*> argv = cStrings(options_.argv);
  std::vector<char*> envp = cStrings(options_.env);
  char** env = options_.env.empty() ? environ : envp.data();
  const std::string& program = options_.argv[0];
  int err = ::posix_spawnp(&pid_, program.c_str(), &setup.actions, &setup.attr, argv.data(), env);
  if (err != 0) return KEEL_SYS_ERROR(err, "cannot run " + program);
  started_ = loop_.clock().now();
  running_ = true;
  // The child is our unreaped child, so its pid cannot be reused before we wait for it.
  pidfd_.reset(pidfdOpen(pid_));
  if (!pidfd_) {
    int open_err = errno;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    running_ = false;
    return KEEL_SYS_ERROR(open_err, "pidfd_open");
  }
  KEEL_TRY(loop_.watch(pidfd_.get(), EPOLLIN, [this](std::uint32_t) { reap(); }));
  registerChild(pid_, program, started_);
  if (options_.timeout > base::Duration::zero()) {
    deadline_.armAfter(options_.timeout, [this] { onTimeout(); });
  }
  return base::ok();
}

void ChildProcess::signalGroup(int signo) const {
  if (running_) ::kill(-pid_, signo);
}

void ChildProcess::onTimeout() {
  timed_out_ = true;
  signalGroup(SIGTERM);
  deadline_.armAfter(options_.kill_grace, [this] { signalGroup(SIGKILL); });
}

void ChildProcess::reap() {
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return;  // spurious wake-up: not ended yet
  }
  loop_.unwatch(pidfd_.get());
  deadline_.disarm();
  running_ = false;
  unregisterChild(pid_);
  ChildExit result;
  result.exited = info.si_code == CLD_EXITED;
  result.code = result.exited ? info.si_status : 0;
  result.signal = result.exited ? 0 : info.si_status;
  result.timed_out = timed_out_;
  result.runtime = loop_.clock().now() - started_;
  if (on_exit_) on_exit_(result);
}

}  // namespace keel::event
