#include "app/process_setup.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

namespace keel::app {

base::Status enterNetworkNamespace(const std::string& name, const std::string& netns_dir) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("network namespace name '{}' is not valid", name));
  }
  const std::string path = netns_dir + "/" + name;
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return base::makeError(base::ErrorCode::NotFound,
                             fmt::format("network namespace {} does not exist ({})", name, path));
    }
    return KEEL_SYS_ERROR(errno, fmt::format("cannot open {}", path));
  }
  if (::setns(fd.get(), CLONE_NEWNET) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot enter network namespace {}", name));
  }
  return base::ok();
}

base::Status allowCoreDumps() {
  const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot set RLIMIT_CORE");
  }
  return base::ok();
}

base::Result<NoFileLimit> raiseNoFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot read RLIMIT_NOFILE");
  }
  NoFileLimit out{static_cast<std::size_t>(limit.rlim_cur),
                  static_cast<std::size_t>(limit.rlim_cur)};
  if (limit.rlim_cur == limit.rlim_max) return out;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot raise RLIMIT_NOFILE");
  }
  out.now = static_cast<std::size_t>(limit.rlim_cur);
  return out;
}

void StartupReport::report(int code) {
  if (!pipe_) return;
  const auto byte = static_cast<unsigned char>(code);
  while (::write(pipe_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  pipe_.reset();
}

namespace {

// The parent's side: the child's report, or 1 when the pipe closes without one.
int awaitReport(int fd, pid_t child) {
  unsigned char code = 1;
  ssize_t n = 0;
  do {
    n = ::read(fd, &code, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    ::waitpid(child, nullptr, WNOHANG);  // reap it if it already died
    return 1;
  }
  return code;
}

base::Status detachChild() {
  if (::setsid() < 0) return KEEL_SYS_ERROR(errno, "setsid");
  if (::chdir("/") != 0) return KEEL_SYS_ERROR(errno, "chdir /");
  base::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return KEEL_SYS_ERROR(errno, "cannot open /dev/null");
  for (int target : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::dup2(null.get(), target) < 0) return KEEL_SYS_ERROR(errno, "dup2 /dev/null");
  }
  return base::ok();
}

}  // namespace

base::Result<Daemonized> daemonize() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return KEEL_SYS_ERROR(errno, "pipe");
  base::UniqueFd read_end(fds[0]);
  base::UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return KEEL_SYS_ERROR(errno, "fork");
  Daemonized out;
  if (pid > 0) {
    write_end.reset();
    out.parent_exit = awaitReport(read_end.get(), pid);
    return out;
  }
  read_end.reset();
  KEEL_TRY(detachChild());
  out.report = StartupReport(std::move(write_end));
  return out;
}

}  // namespace keel::app
