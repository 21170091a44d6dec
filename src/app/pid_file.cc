#include "app/pid_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace keel::app {

namespace {

base::Status writeAll(int fd, const std::string& text, const std::string& path) {
  if (::ftruncate(fd, 0) != 0)
    return KEEL_SYS_ERROR(errno, fmt::format("cannot truncate {}", path));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n =
        ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return KEEL_SYS_ERROR(errno, fmt::format("cannot write {}", path));
    done += static_cast<std::size_t>(n);
  }
  return base::ok();
}

// The pid a pid file holds, or 0 when it holds none.
long readPid(int fd) {
  std::array<char, 32> buf{};
  const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
  if (n <= 0) return 0;
  long pid = 0;
  std::from_chars(buf.data(), buf.data() + n, pid);
  return pid;
}

base::Result<base::UniqueFd> openPidFile(const std::string& path, int flags) {
  base::UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return KEEL_SYS_ERROR(errno, fmt::format("cannot open pid file {}", path));
  return fd;
}

}  // namespace

base::Result<PidFile> PidFile::lock(const std::string& path) {
  auto fd = openPidFile(path, O_RDWR | O_CREAT);
  if (!fd) return fd.error();
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return KEEL_SYS_ERROR(errno, fmt::format("cannot lock pid file {}", path));
    }
    return base::makeError(
        base::ErrorCode::State,
        fmt::format("daemon is already running (pid {} holds {})", readPid(fd->get()), path));
  }
  return PidFile(path, std::move(*fd));
}

PidFile::~PidFile() {
  if (fd_ && owner_ != 0 && owner_ == ::getpid()) ::unlink(path_.c_str());
}

base::Status PidFile::write(pid_t pid) {
  KEEL_TRY(writeAll(fd_.get(), fmt::format("{}\n", pid), path_));
  owner_ = pid;
  return base::ok();
}

base::Status writeExtraPidFiles(const std::vector<std::string>& paths, pid_t pid) {
  for (const std::string& path : paths) {
    auto fd = openPidFile(path, O_WRONLY | O_CREAT);
    if (!fd) return fd.error();
    KEEL_TRY(writeAll(fd->get(), fmt::format("{}\n", pid), path));
  }
  return base::ok();
}

void removeExtraPidFiles(const std::vector<std::string>& paths, pid_t pid) {
  for (const std::string& path : paths) {
    auto fd = openPidFile(path, O_RDONLY);
    if (fd && readPid(fd->get()) == pid) ::unlink(path.c_str());
  }
}

}  // namespace keel::app
