#include "base/unique_fd.h"

#include <unistd.h>

namespace keel::base {

void UniqueFd::reset(int fd) {
  // close() releases the descriptor even when it reports EINTR on Linux, so it is never retried.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace keel::base
