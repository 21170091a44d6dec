// keeld's pid file: DIR/keeld.pid under the runtime directory (app/runtime_dir.h), or where -p
// says, held with flock(LOCK_EX) for the daemon's whole life. A second keeld with the same pid
// file finds it locked and refuses to start (keepalived's "daemon is already running"). The lock
// is taken before keeld forks into the background, so the refusal reaches the terminal; the
// child inherits the locked descriptor and writes its own pid. keepalived's per-child pid files
// (-r, -c) get the same pid: keel is one process. Owned by keeld's main; main thread only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace keel::app {

class PidFile {
 public:
  // Opens (creating 0644, never through a symlink) and locks `path`. Errors: State when another
  // process holds the lock (its message names the pid written in the file); System otherwise.
  static base::Result<PidFile> lock(const std::string& path);

  PidFile(PidFile&&) noexcept = default;
  PidFile& operator=(PidFile&&) noexcept = default;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  // Removes the file when the process that wrote it ends (not in a forked parent).
  ~PidFile();

  // Replaces the file's content with "PID\n" and remembers `pid` as the owner.
  base::Status write(pid_t pid);
  const std::string& path() const { return path_; }

 private:
  PidFile(std::string path, base::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  base::UniqueFd fd_;
  pid_t owner_ = 0;
};

// Writes "PID\n" to each of `paths` (keepalived's -r/-c files; not locked). Errors: System,
// naming the file.
base::Status writeExtraPidFiles(const std::vector<std::string>& paths, pid_t pid);

// Removes `paths` if they still hold `pid` (at stop).
void removeExtraPidFiles(const std::vector<std::string>& paths, pid_t pid);

}  // namespace keel::app
