// libFuzzer target over the VRRP codec: arbitrary bytes as an IPv4 datagram and as an IPv6
// payload, each parsed twice — against a fixed instance and against one that agrees with the
// packet's own VRID, version, auth, interval, addresses and source, so the late checks and the
// decoder are reached too. An accepted advert is encoded again and must parse back to itself.
// The property: no crash, no sanitizer report, and encode/parse agree, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "vrrp/packet.h"

namespace {

using keel::base::IpAddress;
using keel::vrrp::Advert;
using keel::vrrp::Centis;
using keel::vrrp::ReceiveConfig;
using keel::vrrp::Received;

ReceiveConfig fixedConfig(bool ipv6) {
  ReceiveConfig config;
  config.version = ipv6 ? 3 : 2;
  config.vrid = 51;
  config.ipv6 = ipv6;
  config.auth_type = ipv6 ? keel::model::AuthType::None : keel::model::AuthType::Pass;
  config.password = keel::vrrp::authPassword("secret");
  config.addresses = {ipv6 ? IpAddress::parseV6("fe80::100").value()
                           : IpAddress::parseV4("192.168.1.10").value()};
  return config;
}

IpAddress addressAt(std::span<const std::uint8_t> bytes, std::size_t at, bool ipv6) {
  if (ipv6) {
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = bytes[at + i];
    return IpAddress::fromV6Bytes(a);
  }
  return IpAddress::fromV4Bytes({bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]});
}

// An instance that expects what `message` (the VRRP part) says, as far as it is there.
ReceiveConfig agreeingConfig(std::span<const std::uint8_t> message, const IpAddress& source,
                             const IpAddress& destination, bool ipv6) {
  ReceiveConfig config;
  config.ipv6 = ipv6;
  if (message.size() < keel::vrrp::kVrrpHeaderSize) return config;
  config.version = message[0] >> 4;
  config.vrid = message[1];
  config.auth_type = message[4] == 1 ? keel::model::AuthType::Pass : keel::model::AuthType::None;
  config.advert_int = Centis(message[5] * 100);
  std::size_t size = ipv6 ? 16 : 4;
  for (std::size_t i = 0; i < message[3]; ++i) {
    std::size_t at = keel::vrrp::kVrrpHeaderSize + i * size;
    if (at + size > message.size()) break;
    config.addresses.push_back(addressAt(message, at, ipv6));
  }
  std::size_t auth_at = keel::vrrp::kVrrpHeaderSize + message[3] * size;
  for (std::size_t i = 0; i < 8 && auth_at + i < message.size(); ++i) {
    config.password[i] = message[auth_at + i];
  }
  config.unicast = !destination.isMulticast();
  config.unicast_peers = {source};
  config.check_unicast_src = true;
  return config;
}

// What an accepted advert must come back as after an encode: v3 cannot send an interval of 0.
Advert normalized(Advert advert) {
  if (advert.version == 3 && advert.max_advert_int < Centis(1)) advert.max_advert_int = Centis(1);
  return advert;
}

void checkRoundTrip(const Received& received, const ReceiveConfig& config,
                    const IpAddress& destination) {
  const auto* advert = std::get_if<Advert>(&received);
  if (advert == nullptr) return;
  keel::vrrp::EncodeOptions options;
  options.auth_type = config.auth_type;
  options.password = config.password;
  options.destination = destination;
  ReceiveConfig again = config;
  again.advert_int = advert->max_advert_int;
  Received back =
      config.ipv6
          ? keel::vrrp::parseIpv6Advert(keel::vrrp::encodeAdvert(*advert, options), advert->source,
                                        destination, 255, again)
          : keel::vrrp::parseIpv4Advert(keel::vrrp::encodeIpv4Packet(*advert, options), again);
  const auto* decoded = std::get_if<Advert>(&back);
  if (decoded == nullptr || *decoded != normalized(*advert)) __builtin_trap();
}

void fuzzIpv4(std::span<const std::uint8_t> bytes) {
  Received fixed = keel::vrrp::parseIpv4Advert(bytes, fixedConfig(false));
  checkRoundTrip(fixed, fixedConfig(false), IpAddress::parseV4("224.0.0.18").value());
  if (bytes.size() < keel::vrrp::kIpv4HeaderSize) return;
  std::size_t ihl = (bytes[0] & 0x0f) * std::size_t{4};
  if (ihl < keel::vrrp::kIpv4HeaderSize || ihl > bytes.size()) return;
  IpAddress source = addressAt(bytes, 12, false);
  IpAddress destination = addressAt(bytes, 16, false);
  ReceiveConfig config = agreeingConfig(bytes.subspan(ihl), source, destination, false);
  checkRoundTrip(keel::vrrp::parseIpv4Advert(bytes, config), config, destination);
}

void fuzzIpv6(std::span<const std::uint8_t> bytes) {
  IpAddress source = IpAddress::parseV6("fe80::1").value();
  IpAddress group = IpAddress::parseV6("ff02::12").value();
  Received fixed = keel::vrrp::parseIpv6Advert(bytes, source, group, 255, fixedConfig(true));
  checkRoundTrip(fixed, fixedConfig(true), group);
  ReceiveConfig config = agreeingConfig(bytes, source, group, true);
  checkRoundTrip(keel::vrrp::parseIpv6Advert(bytes, source, group, 255, config), config, group);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  fuzzIpv4(bytes);
  fuzzIpv6(bytes);
  (void)keel::vrrp::peekIpv4Vrid(bytes);
  (void)keel::vrrp::peekIpv6Vrid(bytes);
  return 0;
}
