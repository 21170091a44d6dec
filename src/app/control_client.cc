#include "app/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "ctl/config_json.h"
#include "ctl/protocol.h"

namespace keel::app {

namespace {

using base::ErrorCode;

constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;

base::Result<base::UniqueFd> connectTo(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return base::makeError(ErrorCode::InvalidArgument, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return KEEL_SYS_ERROR(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return fd;
  const int err = errno;
  if (err == ENOENT || err == ECONNREFUSED) {
    return base::makeError(ErrorCode::NotFound, "keeld is not running (nothing listens on " + path +
                                                    ": " + std::strerror(err) + ")");
  }
  if (err == EACCES || err == EPERM) {
    return base::makeError(ErrorCode::State, "keeld refused the connection on " + path +
                                                 " (root or keeld's user only)");
  }
  return KEEL_SYS_ERROR(err, "connect " + path);
}

// Waits for `events` until `deadline`; false on timeout.
bool waitFor(int fd, short events, base::TimePoint deadline, base::Clock& clock) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

base::Status sendAll(int fd, const std::string& bytes, base::TimePoint deadline,
                     base::Clock& clock) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (!waitFor(fd, POLLOUT, deadline, clock)) {
      return base::makeError(ErrorCode::Timeout, "keeld did not take the request");
    }
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) return KEEL_SYS_ERROR(errno, "send");
    sent += static_cast<std::size_t>(n);
  }
  return base::ok();
}

base::Result<std::string> readLine(int fd, base::TimePoint deadline, base::Clock& clock) {
  std::string in;
  std::array<char, 65536> buf{};
  while (in.find('\n') == std::string::npos) {
    if (!waitFor(fd, POLLIN, deadline, clock)) {
      return base::makeError(ErrorCode::Timeout, "keeld did not answer in time");
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) return KEEL_SYS_ERROR(errno, "read");
    if (n == 0) {
      return base::makeError(ErrorCode::State, "keeld closed the connection without an answer");
    }
    in.append(buf.data(), static_cast<std::size_t>(n));
    if (in.size() > kMaxResponseBytes) return base::makeError(ErrorCode::Parse, "answer too large");
  }
  return in.substr(0, in.find('\n'));
}

}  // namespace

base::Result<nlohmann::ordered_json> controlRequest(const std::string& socket_path,
                                                    const nlohmann::ordered_json& request,
                                                    base::Duration timeout) {
  base::SteadyClock clock;
  const base::TimePoint deadline = clock.now() + timeout;
  auto fd = connectTo(socket_path);
  if (!fd) return fd.error();
  KEEL_TRY(sendAll(fd->get(), ctl::dumpJson(request) + "\n", deadline, clock));
  auto line = readLine(fd->get(), deadline, clock);
  if (!line) return line.error();
  auto json = nlohmann::ordered_json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return base::makeError(ErrorCode::Parse, "keeld's answer is not a JSON object");
  }
  return json;
}

}  // namespace keel::app
