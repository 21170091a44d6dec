#include "check/udp_probe.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace keel::check {

namespace {

constexpr std::size_t kDefaultPayloadSize = 32;
constexpr std::size_t kMaxDatagram = 65536;

// A hex digit's value, 16 for a wildcard, -1 for anything else.
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c == 'x' || c == 'X') return 16;
  return -1;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

base::Result<ReplyPattern> parseReplyPattern(std::string_view text) {
  ReplyPattern out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (blank(text[i])) {
      ++i;
      continue;
    }
    int value = 0;
    int wild = 0;
    int digits = 0;
    for (; digits < 2 && i < text.size() && !blank(text[i]); ++digits, ++i) {
      const int n = nibble(text[i]);
      if (n < 0) {
        return base::makeError(
            base::ErrorCode::Parse,
            "invalid character '" + std::string(1, text[i]) + "' in hex pattern");
      }
      value = value << 4 | (n == 16 ? 0 : n);
      wild = wild << 4 | (n == 16 ? 0xf : 0);
    }
    out.bytes.push_back(static_cast<std::uint8_t>(value));
    out.wildcard.push_back(static_cast<std::uint8_t>(wild));
  }
  return out;
}

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
                                            const ReplyPattern& pattern, int min_length,
                                            int max_length) {
  const auto len = static_cast<long>(reply.size());
  if (len < min_length || len > max_length) {
    return "reply of " + std::to_string(len) + " bytes, outside " + std::to_string(min_length) +
           ".." + std::to_string(max_length);
  }
  const std::size_t n = std::min(reply.size(), pattern.bytes.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (((reply[i] ^ pattern.bytes[i]) & ~pattern.wildcard[i] & 0xff) != 0) {
      return "reply data mismatch at byte " + std::to_string(i);
    }
  }
  return std::nullopt;
}

UdpProbe::UdpProbe(event::Loop& loop, ProbeTarget target, model::UdpCheck check)
    : SocketProbe(loop),
      target_(std::move(target)),
      check_(std::move(check)),
      pattern_(parseReplyPattern(check_.reply_pattern)) {}

void UdpProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  if (!pattern_) return failSoon("reply_pattern: " + pattern_.error().str());
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
  if (auto why =
          udpReplyMismatch(reply, *pattern_, check_.min_reply_length, check_.max_reply_length)) {
    return finish({.reason = *why});
  }
  finish({.ok = true});
}

}  // namespace keel::check
