#include "check/udp_probe.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace keel::check {

namespace {

constexpr std::size_t kDefaultPayloadSize = 32;
constexpr std::size_t kMaxDatagram = 65536;

}  // namespace

std::vector<std::uint8_t> defaultUdpPayload() {
  static constexpr std::string_view kFiller = "keel UDP_CHECK ";
  std::vector<std::uint8_t> out;
  out.reserve(kDefaultPayloadSize);
  for (std::size_t i = 0; i < kDefaultPayloadSize; ++i) {
    out.push_back(static_cast<std::uint8_t>(kFiller[i % kFiller.size()]));
  }
  return out;
}

std::optional<std::string> udpReplyMismatch(std::span<const std::uint8_t> reply,
                                            const model::UdpCheck& check) {
  const auto len = static_cast<long>(reply.size());
  if (len < check.min_reply_length || len > check.max_reply_length) {
    return "reply of " + std::to_string(len) + " bytes, outside " +
           std::to_string(check.min_reply_length) + ".." + std::to_string(check.max_reply_length);
  }
  const std::size_t n = std::min(reply.size(), check.reply_data.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t ignored = i < check.reply_mask.size() ? check.reply_mask[i] : 0;
    if (((reply[i] ^ check.reply_data[i]) & ~ignored & 0xff) != 0) {
      return "reply data mismatch at byte " + std::to_string(i);
    }
  }
  return std::nullopt;
}

UdpProbe::UdpProbe(event::Loop& loop, ProbeTarget target, model::UdpCheck check)
    : SocketProbe(loop), target_(std::move(target)), check_(std::move(check)) {}

void UdpProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  auto fd = openSocket(target_, SOCK_DGRAM);
  if (!fd) return failSoon(fd.error().str(), outOfDescriptors(fd.error()));
  fd_ = std::move(*fd);
  const std::vector<std::uint8_t> payload =
      check_.payload.empty() ? defaultUdpPayload() : check_.payload;
  if (::send(fd_.get(), payload.data(), payload.size(), 0) !=
      static_cast<ssize_t>(payload.size())) {
    return failSoon(KEEL_SYS_ERROR(errno, "send").str());
  }
  if (auto st = loop_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { onReadable(); }); !st) {
    return failSoon(st.error().str());
  }
  timer_.armAt(deadline, [this] {
    if (check_.require_reply) return finish({.reason = "no reply"});
    finish({.ok = true});  // no ICMP error in time: keepalived counts that as up
  });
}

void UdpProbe::onReadable() {
  const std::size_t size = std::min<std::size_t>(
      static_cast<std::size_t>(std::max(check_.max_reply_length, 0)) + 1, kMaxDatagram);
  std::vector<std::uint8_t> buf(size);
  const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return finish({.reason = KEEL_SYS_ERROR(errno, "recv").str()});
  }
  if (!check_.require_reply) return finish({.ok = true});
  // With MSG_TRUNC, n is the datagram's real length even when it did not fit.
  const std::size_t got = std::min(static_cast<std::size_t>(n), buf.size());
  std::span<const std::uint8_t> reply(buf.data(), got);
  if (static_cast<std::size_t>(n) > got) {
    return finish({.reason = "reply of " + std::to_string(n) + " bytes, outside " +
                             std::to_string(check_.min_reply_length) + ".." +
                             std::to_string(check_.max_reply_length)});
  }
  if (auto why = udpReplyMismatch(reply, check_)) {
    return finish({.reason = *why});
  }
  finish({.ok = true});
}

}  // namespace keel::check
