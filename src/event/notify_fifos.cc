#include "event/notify_fifos.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "event/script_policy.h"

namespace keel::event {

namespace {

constexpr mode_t kFifoMode = 0660;

// Gives `path` to the spec's user and group, as keepalived does for a FIFO it made.
void chownTo(const FifoSpec& f) {
  if (f.user.empty() && f.group.empty()) return;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!f.user.empty()) {
    auto c = lookupUser(f.user);
    if (!c) {
      base::logWarning("notify FIFO {}: {}", f.path, c.error().str());
      return;
    }
    uid = c->uid;
    gid = c->gid;
  }
  if (!f.group.empty()) {
    auto g = lookupGroup(f.group);
    if (!g) {
      base::logWarning("notify FIFO {}: {}", f.path, g.error().str());
      return;
    }
    gid = *g;
  }
  if (::chown(f.path.c_str(), uid, gid) != 0) {
    base::logWarning("notify FIFO {}: cannot change its owner: {}", f.path, std::strerror(errno));
  }
}

// Creates `f` if nothing is at its path; true when it did.
bool create(const FifoSpec& f) {
  struct stat st {};
  if (::lstat(f.path.c_str(), &st) == 0) {
    if (!S_ISFIFO(st.st_mode)) {
      base::logError("notify FIFO {} exists and is not a FIFO; no lines are written to it", f.path);
    }
    return false;
  }
  if (::mkfifo(f.path.c_str(), kFifoMode) != 0) {
    base::logError("Unable to create notify FIFO {}: {}", f.path, std::strerror(errno));
    return false;
  }
  // mkfifo's mode is masked by the umask.
  (void)::chmod(f.path.c_str(), kFifoMode);
  chownTo(f);
  return true;
}

void removeFifo(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) (void)::unlink(path.c_str());
}

}  // namespace

NotifyFifos::~NotifyFifos() {
  for (const std::string& path : created_) removeFifo(path);
}

void NotifyFifos::apply(const std::vector<FifoSpec>& wanted) {
  std::set<std::string> named;
  for (const FifoSpec& f : wanted) {
    if (f.path.empty() || !named.insert(f.path).second) continue;
    if (created_.count(f.path) == 0 && create(f)) created_.insert(f.path);
  }
  for (auto it = created_.begin(); it != created_.end();) {
    if (named.count(*it) != 0) {
      ++it;
      continue;
    }
    removeFifo(*it);
    it = created_.erase(it);
  }
}

}  // namespace keel::event
