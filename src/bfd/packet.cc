#include "bfd/packet.h"

#include <array>
#include <chrono>

namespace keel::bfd {

namespace {

std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

void write32(std::array<std::uint8_t, kPacketSize>& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

constexpr std::uint8_t kPoll = 0x20;
constexpr std::uint8_t kFinal = 0x10;
constexpr std::uint8_t kCpi = 0x08;
constexpr std::uint8_t kAuth = 0x04;
constexpr std::uint8_t kDemand = 0x02;
constexpr std::uint8_t kMultipoint = 0x01;

constexpr std::array<std::string_view, kDropReasonCount> kDropNames = {
    "too_short",       "bad_length",   "bad_version",   "zero_detect_mult",  "multipoint",
    "zero_my_discr",   "bad_ttl",      "unknown_discr", "unknown_neighbor",  "wrong_source",
    "zero_your_discr", "auth_present", "admin_down",    "not_from_neighbor",
};

}  // namespace

std::string_view stateName(State s) {
  static constexpr std::array<std::string_view, 4> kNames = {"AdminDown", "Down", "Init", "Up"};
  return kNames[static_cast<std::size_t>(s) & 3];
}

std::string_view diagName(Diag d) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "No Diagnostic",
      "Control Detection Time Expired",
      "Echo Function Failed",
      "Neighbor Signaled Session Down",
      "Forwarding Plane Reset",
      "Path Down",
      "Concatenated Path Down",
      "Administratively Down",
      "Reverse Concatenated Path Down",
  };
  const auto i = static_cast<std::size_t>(d);
  return i < kNames.size() ? kNames[i] : "Unknown";
}

std::string_view dropReasonName(DropReason r) { return kDropNames[static_cast<std::size_t>(r)]; }

std::variant<ControlPacket, DropReason> parse(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kPacketSize) return DropReason::TooShort;
  ControlPacket p;
  p.version = bytes[0] >> 5;
  p.diag = static_cast<Diag>(bytes[0] & 0x1f);
  p.state = static_cast<State>(bytes[1] >> 6);
  p.poll = (bytes[1] & kPoll) != 0;
  p.final = (bytes[1] & kFinal) != 0;
  p.control_plane_independent = (bytes[1] & kCpi) != 0;
  p.auth = (bytes[1] & kAuth) != 0;
  p.demand = (bytes[1] & kDemand) != 0;
  p.multipoint = (bytes[1] & kMultipoint) != 0;
  p.detect_mult = bytes[2];
  const std::size_t length = bytes[3];
  if (p.version != 1) return DropReason::BadVersion;
  if (length < (p.auth ? kAuthMinSize : kPacketSize)) return DropReason::BadLength;
  if (length > bytes.size()) return DropReason::TooShort;
  if (p.detect_mult == 0) return DropReason::ZeroDetectMult;
  if (p.multipoint) return DropReason::Multipoint;
  p.my_discriminator = read32(bytes, 4);
  p.your_discriminator = read32(bytes, 8);
  p.desired_min_tx_us = read32(bytes, 12);
  p.required_min_rx_us = read32(bytes, 16);
  p.required_min_echo_rx_us = read32(bytes, 20);
  if (p.my_discriminator == 0) return DropReason::ZeroMyDiscr;
  if (p.your_discriminator == 0 && (p.state == State::Init || p.state == State::Up)) {
    return DropReason::ZeroYourDiscr;
  }
  return p;
}

std::array<std::uint8_t, kPacketSize> encode(const ControlPacket& p) {
  std::array<std::uint8_t, kPacketSize> b{};
  b[0] = static_cast<std::uint8_t>((p.version << 5) | (static_cast<std::uint8_t>(p.diag) & 0x1f));
  b[1] =
      static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.state) << 6) | (p.poll ? kPoll : 0) |
                                (p.final ? kFinal : 0) | (p.control_plane_independent ? kCpi : 0) |
                                (p.demand ? kDemand : 0) | (p.multipoint ? kMultipoint : 0));
  b[2] = p.detect_mult;
  b[3] = kPacketSize;
  write32(b, 4, p.my_discriminator);
  write32(b, 8, p.your_discriminator);
  write32(b, 12, p.desired_min_tx_us);
  write32(b, 16, p.required_min_rx_us);
  write32(b, 20, p.required_min_echo_rx_us);
  return b;
}

std::uint32_t toWire(base::Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us <= 0) return 0;
  return us >= 0xffffffffLL ? 0xffffffffU : static_cast<std::uint32_t>(us);
}

base::Duration fromWire(std::uint32_t us) { return std::chrono::microseconds(us); }

}  // namespace keel::bfd
