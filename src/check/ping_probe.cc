#include "check/ping_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <random>
#include <utility>

#include "base/checksum.h"

namespace keel::check {

namespace {

constexpr std::uint8_t kEchoRequest4 = 8;
constexpr std::uint8_t kEchoReply4 = 0;
constexpr std::uint8_t kEchoRequest6 = 128;
constexpr std::uint8_t kEchoReply6 = 129;
constexpr std::size_t kEchoHeader = 8;
constexpr std::size_t kPayloadSize = 56;
constexpr int kMaxPacketsPerWake = 32;

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::vector<std::uint8_t> payload() {
  static constexpr std::string_view kFiller = "keel PING_CHECK ";
  std::vector<std::uint8_t> out(kPayloadSize);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(kFiller[i % kFiller.size()]);
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> encodeEchoRequest(bool v6, std::uint16_t id, std::uint16_t seq,
                                            std::span<const std::uint8_t> payload) {
  // Sized once and filled in place (g++ 12 -O2 misreads an append to a small vector as out of
  // bounds).
  std::vector<std::uint8_t> out(kEchoHeader + payload.size(), 0);
  out[0] = v6 ? kEchoRequest6 : kEchoRequest4;
  out[4] = static_cast<std::uint8_t>(id >> 8);
  out[5] = static_cast<std::uint8_t>(id & 0xff);
  out[6] = static_cast<std::uint8_t>(seq >> 8);
  out[7] = static_cast<std::uint8_t>(seq & 0xff);
  std::copy(payload.begin(), payload.end(), out.begin() + kEchoHeader);
  if (!v6) {
    base::Checksum checksum;
    checksum.add(out);
    const std::uint16_t sum = checksum.finish();
    out[2] = static_cast<std::uint8_t>(sum >> 8);
    out[3] = static_cast<std::uint8_t>(sum & 0xff);
  }
  return out;
}

EchoVerdict judgeEchoReply(std::span<const std::uint8_t> packet, bool v6, bool ip_header,
                           std::uint16_t id, std::uint16_t seq) {
  if (ip_header) {
    if (packet.empty() || packet[0] >> 4 != 4) return {.reason = "not an IPv4 packet"};
    const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > packet.size()) return {.reason = "bad IPv4 header length"};
    packet = packet.subspan(ihl);
  }
  if (packet.size() < kEchoHeader) {
    return {.reason = "short ICMP packet of " + std::to_string(packet.size()) + " bytes"};
  }
  if (packet[0] != (v6 ? kEchoReply6 : kEchoReply4)) {
    return {.reason = "ICMP packet of type " + std::to_string(packet[0])};
  }
  if (read16(packet, 4) != id) return {.reason = "echo reply with another identifier"};
  if (read16(packet, 6) != seq) return {.reason = "echo reply with another sequence number"};
  return {.match = true};
}

PingProbe::PingProbe(event::Loop& loop, ProbeTarget target)
    : SocketProbe(loop), target_(std::move(target)) {
  std::random_device rd;
  id_ = static_cast<std::uint16_t>(rd());
  seq_ = static_cast<std::uint16_t>(rd());
}

base::Status PingProbe::open() {
  const bool v6 = target_.endpoint.address().family() == AF_INET6;
  const int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  ProbeTarget t = target_;
  t.endpoint = base::Endpoint(target_.endpoint.address(), 0);
  t.bind_port.reset();
  auto fd = openSocket(t, SOCK_DGRAM, proto);
  raw_ = false;
  if (!fd && (fd.error().sys_errno == EACCES || fd.error().sys_errno == EPERM ||
              fd.error().sys_errno == EPROTONOSUPPORT)) {
    fd = openSocket(t, SOCK_RAW, proto);
    raw_ = true;
  }
  if (!fd) return fd.error();
  fd_ = std::move(*fd);
  if (!raw_) {
    // The kernel uses the socket's local "port" as the identifier and rewrites ours.
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
      return KEEL_SYS_ERROR(errno, "getsockname");
    }
    id_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  return base::ok();
}

void PingProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  last_skip_.clear();
  ++seq_;
  if (auto st = open(); !st) return failSoon(st.error().str(), outOfDescriptors(st.error()));
  const bool v6 = target_.endpoint.address().family() == AF_INET6;
  const std::vector<std::uint8_t> request = encodeEchoRequest(v6, id_, seq_, payload());
  if (::send(fd_.get(), request.data(), request.size(), 0) !=
      static_cast<ssize_t>(request.size())) {
    return failSoon(KEEL_SYS_ERROR(errno, "send").str());
  }
  if (auto st = loop_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { onReadable(); }); !st) {
    return failSoon(st.error().str());
  }
  timer_.armAt(deadline, [this] {
    finish({.reason = last_skip_.empty() ? "no echo reply" : "no echo reply; " + last_skip_});
  });
}

void PingProbe::onReadable() {
  const bool v6 = target_.endpoint.address().family() == AF_INET6;
  std::array<std::uint8_t, 2048> buf{};
  for (int i = 0; i < kMaxPacketsPerWake; ++i) {
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return finish({.reason = KEEL_SYS_ERROR(errno, "recv").str()});
    }
    const std::span<const std::uint8_t> packet(buf.data(), static_cast<std::size_t>(n));
    const EchoVerdict v = judgeEchoReply(packet, v6, raw_ && !v6, id_, seq_);
    if (v.match) return finish({.ok = true});
    last_skip_ = v.reason;
  }
}

}  // namespace keel::check
