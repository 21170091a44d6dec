#include "check/tcp_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

namespace keel::check {
namespace {

// "Connection refused" rather than the whole Error with its call and file:line: the reason ends
// up in keepalived-shaped log lines.
std::string reasonOf(const base::Error& error) {
  return error.sys_errno != 0 ? std::string(std::strerror(error.sys_errno)) : error.message;
}

}  // namespace

TcpProbe::TcpProbe(event::Loop& loop, ProbeTarget target)
    : SocketProbe(loop), target_(std::move(target)) {}

void TcpProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  base::Result<base::UniqueFd> fd = openSocket(target_, SOCK_STREAM, IPPROTO_TCP);
  if (!fd) return failSoon(reasonOf(fd.error()), outOfDescriptors(fd.error()));
  fd_ = std::move(*fd);
  if (base::Status watched =
          loop_.watch(fd_.get(), EPOLLOUT, [this](std::uint32_t) { onWritable(); });
      !watched) {
    fd_.reset();
    return failSoon(reasonOf(watched.error()));
  }
  timer_.armAt(deadline, [this] { finish(ProbeResult{false, "timeout", std::nullopt}); });
}

void TcpProbe::onWritable() {
  const base::Status connected = connectResult(fd_.get());
  finish(connected ? ProbeResult{true, "", std::nullopt}
                   : ProbeResult{false, reasonOf(connected.error()), std::nullopt});
}

}  // namespace keel::check
