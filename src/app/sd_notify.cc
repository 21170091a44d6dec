#include "app/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace keel::app {

SystemdNotifier SystemdNotifier::fromEnvironment() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return SystemdNotifier(std::nullopt);
  return SystemdNotifier(std::string(path));
}

base::Status SystemdNotifier::notify(std::string_view state) const {
  if (!socket_) return base::ok();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_->size() >= sizeof(addr.sun_path) ||
      (socket_->front() != '/' && socket_->front() != '@')) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("NOTIFY_SOCKET '{}' is not a socket name", *socket_));
  }
  std::memcpy(addr.sun_path, socket_->data(), socket_->size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_->size());
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open the systemd notify socket");
  if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) < 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot notify systemd at {}", *socket_));
  }
  return base::ok();
}

}  // namespace keel::app
