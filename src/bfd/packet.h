// The BFD Control packet codec (RFC 5880 §4.1) and the receive checks that need no session
// (§6.8.6, first bullets): version, length, detect multiplier, multipoint, My Discriminator, and
// a zero Your Discriminator in a packet whose state is Init or Up.
// Authentication is not implemented (keepalived 2.2.7 has none either): a packet with the A bit
// is dropped by the session lookup (engine.h) with its own reason.
//
// Pure functions over bytes and plain values; any thread. Every read is bounds-checked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "base/clock.h"

namespace keel::bfd {

inline constexpr std::uint16_t kControlPort = 3784;  // RFC 5881 §4
inline constexpr std::uint16_t kSourcePortMin = 49152;
inline constexpr std::size_t kPacketSize = 24;      // the mandatory section
inline constexpr std::size_t kAuthMinSize = 26;     // with the A bit: section type and length
inline constexpr std::uint8_t kSingleHopTtl = 255;  // RFC 5881 §5

enum class State : std::uint8_t { AdminDown = 0, Down = 1, Init = 2, Up = 3 };

// RFC 5880 §4.1 Diagnostic codes.
enum class Diag : std::uint8_t {
  None = 0,
  DetectExpired = 1,
  EchoFailed = 2,
  NeighborDown = 3,
  ForwardingReset = 4,
  PathDown = 5,
  ConcatPathDown = 6,
  AdminDown = 7,
  ReverseConcatPathDown = 8,
};

std::string_view stateName(State s);  // "AdminDown", "Down", "Init", "Up"
std::string_view diagName(Diag d);    // RFC 5880's wording: "Control Detection Time Expired", ...

struct ControlPacket {
  std::uint8_t version = 1;
  Diag diag = Diag::None;
  State state = State::Down;
  bool poll = false;
  bool final = false;
  bool control_plane_independent = false;
  bool auth = false;
  bool demand = false;
  bool multipoint = false;
  std::uint8_t detect_mult = 0;
  std::uint32_t my_discriminator = 0;
  std::uint32_t your_discriminator = 0;
  std::uint32_t desired_min_tx_us = 0;
  std::uint32_t required_min_rx_us = 0;
  std::uint32_t required_min_echo_rx_us = 0;

  friend bool operator==(const ControlPacket&, const ControlPacket&) = default;
};

// Why a received datagram was not handed to a session. Counted per reason by the engine.
enum class DropReason : std::uint8_t {
  TooShort,         // shorter than 24 bytes, or than the Length field (§6.8.6)
  BadLength,        // Length field under 24 (26 with the A bit)
  BadVersion,       // Version not 1
  ZeroDetectMult,   // Detect Mult 0
  Multipoint,       // M bit set
  ZeroMyDiscr,      // My Discriminator 0
  BadTtl,           // TTL / hop limit below what the session allows (RFC 5881 §5)
  UnknownDiscr,     // Your Discriminator names no session
  UnknownNeighbor,  // Your Discriminator 0 and no session for the source address
  WrongSource,      // Your Discriminator names a session of another neighbour
  ZeroYourDiscr,    // Your Discriminator 0 while the packet's state is Init or Up
  AuthPresent,      // A bit set: no authentication is configured
  AdminDown,        // the local session is AdminDown
  NotFromNeighbor,  // received on the wrong port or family, or an unusable address
};
inline constexpr std::size_t kDropReasonCount =
    static_cast<std::size_t>(DropReason::NotFromNeighbor) + 1;

std::string_view dropReasonName(DropReason r);  // snake_case: "too_short", "bad_ttl", ...

// The checks of §6.8.6 that need no session, then the fields. A payload longer than the Length
// field is accepted (the rest is ignored), as the RFC allows.
std::variant<ControlPacket, DropReason> parse(std::span<const std::uint8_t> bytes);

// The 24-byte mandatory section; `p.auth` must be false (no authentication section is written).
std::array<std::uint8_t, kPacketSize> encode(const ControlPacket& p);

// Microseconds as BFD carries them (saturating at UINT32_MAX).
std::uint32_t toWire(base::Duration d);
base::Duration fromWire(std::uint32_t us);

}  // namespace keel::bfd
