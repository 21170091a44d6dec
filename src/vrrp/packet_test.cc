// Tests for the VRRP codec: byte-exact v2 and v3 messages with hand-computed checksums, round
// trips for v2/v3 over IPv4 and v3 over IPv6, each drop reason from a concrete bad packet, every
// truncation, Ethernet padding, and a sweep of single-byte corruptions that must never crash.
#include "vrrp/packet.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace keel::vrrp {
namespace {

using Bytes = std::vector<std::uint8_t>;

base::IpAddress ip(std::string_view text) { return base::IpAddress::parse(text).value(); }

// "ok" for an advert, else the drop reason's name: readable in a failure message.
std::string_view outcome(const Received& r) {
  if (const auto* reason = std::get_if<DropReason>(&r)) return dropReasonName(*reason);
  return "ok";
}
std::string_view name(DropReason reason) { return dropReasonName(reason); }

// VRID 51, priority 100, 1 s, PASS "secret", one VIP, from 192.168.1.2 to 224.0.0.18.
Advert v2Advert() {
  Advert a;
  a.version = 2;
  a.vrid = 51;
  a.priority = 100;
  a.max_advert_int = Centis(100);
  a.source = ip("192.168.1.2");
  a.addresses = {ip("192.168.1.10")};
  return a;
}

EncodeOptions v2Options() {
  EncodeOptions o;
  o.auth_type = model::AuthType::Pass;
  o.password = authPassword("secret");
  o.destination = ip("224.0.0.18");
  return o;
}

ReceiveConfig v2Config() {
  ReceiveConfig c;
  c.version = 2;
  c.vrid = 51;
  c.auth_type = model::AuthType::Pass;
  c.password = authPassword("secret");
  c.advert_int = Centis(100);
  c.addresses = {ip("192.168.1.10")};
  return c;
}

// VRID 1, priority 100, 100 cs, one VIP, from 192.168.1.2 to 224.0.0.18.
Advert v3Advert() {
  Advert a;
  a.version = 3;
  a.vrid = 1;
  a.priority = 100;
  a.max_advert_int = Centis(100);
  a.source = ip("192.168.1.2");
  a.addresses = {ip("192.168.1.100")};
  return a;
}

ReceiveConfig v3Config() {
  ReceiveConfig c;
  c.version = 3;
  c.vrid = 1;
  c.advert_int = Centis(100);
  c.addresses = {ip("192.168.1.100")};
  return c;
}

EncodeOptions multicastV4() {
  EncodeOptions o;
  o.destination = ip("224.0.0.18");
  return o;
}

// VRID 7, two VIPs, from fe80::1 to ff02::12.
Advert v6Advert() {
  Advert a;
  a.version = 3;
  a.vrid = 7;
  a.priority = 200;
  a.max_advert_int = Centis(50);
  a.source = ip("fe80::1");
  a.addresses = {ip("fe80::100"), ip("2001:db8::10")};
  return a;
}

ReceiveConfig v6Config() {
  ReceiveConfig c;
  c.version = 3;
  c.vrid = 7;
  c.ipv6 = true;
  c.advert_int = Centis(50);
  c.addresses = {ip("2001:db8::10"), ip("fe80::100")};
  return c;
}

EncodeOptions multicastV6() {
  EncodeOptions o;
  o.destination = ip("ff02::12");
  return o;
}

Received parseV6(const Bytes& payload, const ReceiveConfig& config, int hop_limit = 255,
                 std::string_view destination = "ff02::12") {
  return parseIpv6Advert(payload, ip("fe80::1"), ip(destination), hop_limit, config);
}

// The v2 advert above behind its IPv4 header, every checksum worked out by hand:
//   IP header words 45c0 0028 0000 0000 ff70 [0000] c0a8 0102 e000 0012 sum to 0x2e714,
//   folded 0xe716, complement 0x18e9.
//   VRRP words 2133 6401 0101 [0000] c0a8 010a 7365 6372 6574 0000 sum to 0x28432,
//   folded 0x8434, complement 0x7bcb.
const Bytes kV2PassPacket = {
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0xff, 0x70, 0x18, 0xe9,  // IPv4
    0xc0, 0xa8, 0x01, 0x02, 0xe0, 0x00, 0x00, 0x12,                          // src, dst
    0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x7b, 0xcb,                          // VRRP header
    0xc0, 0xa8, 0x01, 0x0a,                                                  // 192.168.1.10
    's',  'e',  'c',  'r',  'e',  't',  0x00, 0x00,                          // auth data
};

TEST(DropReasonTest, NamesAreDistinctSnakeCase) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    std::string_view n = dropReasonName(static_cast<DropReason>(i));
    EXPECT_FALSE(n.empty());
    EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << n;
    EXPECT_TRUE(seen.insert(n).second) << n;
  }
  EXPECT_EQ(dropReasonName(DropReason::BadTtl), "ip_ttl_err");
  EXPECT_EQ(dropReasonName(DropReason::AuthFailure), "auth_failure");
}

TEST(DropReasonTest, CountersCountByReason) {
  DropCounters counters;
  counters.count(DropReason::BadTtl);
  counters.count(DropReason::BadTtl);
  counters.count(DropReason::NotUnicastPeer);
  EXPECT_EQ(counters[DropReason::BadTtl], 2u);
  EXPECT_EQ(counters[DropReason::NotUnicastPeer], 1u);
  EXPECT_EQ(counters[DropReason::TooShort], 0u);
  EXPECT_EQ(counters.total(), 3u);
}

TEST(EncodeTest, V2PassIsByteExact) {
  Bytes message = encodeAdvert(v2Advert(), v2Options());
  EXPECT_EQ(message, Bytes(kV2PassPacket.begin() + 20, kV2PassPacket.end()));
  EXPECT_EQ(encodeIpv4Packet(v2Advert(), v2Options()), kV2PassPacket);
}

TEST(EncodeTest, V2WithoutAuthCarriesEightZeroBytes) {
  EncodeOptions options = v2Options();
  options.auth_type = model::AuthType::None;
  Bytes message = encodeAdvert(v2Advert(), options);
  ASSERT_EQ(message.size(), 20u);
  EXPECT_EQ(message[4], 0);
  EXPECT_EQ(Bytes(message.begin() + 12, message.end()), Bytes(8, 0));
}

TEST(EncodeTest, V3Ipv4ChecksumCoversThePseudoHeader) {
  // RFC 5798 §5.2.8. Pseudo-header c0a8 0102 e000 0012 0070 000c (src, dst, protocol 112,
  // length 12) sums to 0x1a238; the message words 3101 6401 0064 [0000] c0a8 0164 to 0x15772.
  // Together 0x2f9aa, folded 0xf9ac, complement 0x0653. (The message alone would give 0xa88b.)
  const Bytes expected = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64, 0x06, 0x53, 0xc0, 0xa8, 0x01, 0x64};
  EXPECT_EQ(encodeAdvert(v3Advert(), multicastV4()), expected);
}

TEST(EncodeTest, V3Ipv6ChecksumCoversThePseudoHeader) {
  // Pseudo-header: fe80::1, ff02::12, length 8 + 2 * 16 = 40, next header 112.
  Bytes message = encodeAdvert(v6Advert(), multicastV6());
  ASSERT_EQ(message.size(), 40u);
  std::uint64_t sum = 0xfe80 + 0x0001 + 0xff02 + 0x0012 + 40 + 112;
  for (std::size_t i = 0; i < message.size(); i += 2) sum += (message[i] << 8) | message[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
}

TEST(EncodeTest, Ipv4HeaderFields) {
  EncodeOptions options = multicastV4();
  options.ttl = 64;
  Bytes packet = encodeIpv4Packet(v3Advert(), options);
  ASSERT_EQ(packet.size(), 32u);
  EXPECT_EQ(packet[0], 0x45);
  EXPECT_EQ(packet[1], kVrrpTos);
  EXPECT_EQ((packet[2] << 8) | packet[3], 32);
  EXPECT_EQ(packet[8], 64);
  EXPECT_EQ(packet[9], kVrrpProtocol);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 20; i += 2) sum += (packet[i] << 8) | packet[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
}

TEST(EncodeTest, V2IntervalIsRoundedWholeSeconds) {
  Advert a = v2Advert();
  auto seconds = [&](std::int64_t centis) {
    a.max_advert_int = Centis(centis);
    return encodeAdvert(a, v2Options())[5];
  };
  EXPECT_EQ(seconds(100), 1);
  EXPECT_EQ(seconds(149), 1);
  EXPECT_EQ(seconds(150), 2);
  EXPECT_EQ(seconds(0), 1);
  EXPECT_EQ(seconds(-500), 1);
  EXPECT_EQ(seconds(25500), 255);
  EXPECT_EQ(seconds(1'000'000), 255);
}

TEST(EncodeTest, V3IntervalIsTwelveBitCentiseconds) {
  Advert a = v3Advert();
  auto centis = [&](std::int64_t value) {
    a.max_advert_int = Centis(value);
    Bytes m = encodeAdvert(a, multicastV4());
    return (m[4] << 8) | m[5];
  };
  EXPECT_EQ(centis(100), 100);
  EXPECT_EQ(centis(1), 1);
  EXPECT_EQ(centis(0), 1);
  EXPECT_EQ(centis(4095), 4095);
  EXPECT_EQ(centis(5000), 4095);
}

TEST(EncodeTest, LeavesOutAddressesOfTheOtherFamilyAndBeyond255) {
  Advert a = v3Advert();
  a.addresses.push_back(ip("2001:db8::1"));
  EXPECT_EQ(encodeAdvert(a, multicastV4()).size(), 12u);
  a.addresses.clear();
  for (std::uint32_t i = 0; i < 300; ++i)
    a.addresses.push_back(base::IpAddress::v4(0x0a000000 + i));
  Bytes m = encodeAdvert(a, multicastV4());
  EXPECT_EQ(m[3], 255);
  EXPECT_EQ(m.size(), 8u + 255 * 4);
}

TEST(ParseTest, HandBuiltV2PassPacket) {
  Received r = parseIpv4Advert(kV2PassPacket, v2Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), v2Advert());
}

TEST(ParseTest, RoundTripV2) {
  Advert a = v2Advert();
  a.priority = 0;
  a.addresses = {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")};
  ReceiveConfig c = v2Config();
  c.addresses = {ip("10.0.0.3"), ip("10.0.0.1"), ip("10.0.0.2")};  // any order
  Received r = parseIpv4Advert(encodeIpv4Packet(a, v2Options()), c);
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), a);
}

TEST(ParseTest, RoundTripV2WithoutAuth) {
  EncodeOptions o = v2Options();
  o.auth_type = model::AuthType::None;
  ReceiveConfig c = v2Config();
  c.auth_type = model::AuthType::None;
  c.password = {};
  Received r = parseIpv4Advert(encodeIpv4Packet(v2Advert(), o), c);
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), v2Advert());
}

TEST(ParseTest, RoundTripV3Ipv4) {
  Advert a = v3Advert();
  a.priority = 255;
  Received r = parseIpv4Advert(encodeIpv4Packet(a, multicastV4()), v3Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), a);
}

TEST(ParseTest, RoundTripV3Ipv6) {
  Received r = parseV6(encodeAdvert(v6Advert(), multicastV6()), v6Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), v6Advert());
}

TEST(ParseTest, V3IntervalMismatchIsAcceptedWithTheSendersInterval) {
  Advert a = v3Advert();
  a.max_advert_int = Centis(300);
  Received r = parseIpv4Advert(encodeIpv4Packet(a, multicastV4()), v3Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r).max_advert_int, Centis(300));
}

TEST(ParseTest, V3ReservedBitsAreIgnored) {
  Bytes p = encodeIpv4Packet(v3Advert(), multicastV4());
  p[24] |= 0xf0;  // reserved nibble; the checksum word 0x0064 -> 0xf064 changes by 0xf000
  std::uint32_t cs = (p[26] << 8) | p[27];
  cs = cs >= 0xf000 ? cs - 0xf000 : cs + 0xffff - 0xf000;
  p[26] = static_cast<std::uint8_t>(cs >> 8);
  p[27] = static_cast<std::uint8_t>(cs);
  Received r = parseIpv4Advert(p, v3Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r).max_advert_int, Centis(100));
}

TEST(ParseTest, EveryTruncationIsTooShort) {
  for (std::size_t n = 0; n < kV2PassPacket.size(); ++n) {
    Bytes cut(kV2PassPacket.begin(), kV2PassPacket.begin() + n);
    EXPECT_EQ(outcome(parseIpv4Advert(cut, v2Config())), name(DropReason::TooShort)) << n;
  }
  Bytes v3 = encodeIpv4Packet(v3Advert(), multicastV4());
  for (std::size_t n = 0; n < v3.size(); ++n) {
    Bytes cut(v3.begin(), v3.begin() + n);
    EXPECT_EQ(outcome(parseIpv4Advert(cut, v3Config())), name(DropReason::TooShort)) << n;
  }
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  for (std::size_t n = 0; n < v6.size(); ++n) {
    Bytes cut(v6.begin(), v6.begin() + n);
    EXPECT_EQ(outcome(parseV6(cut, v6Config())), name(DropReason::TooShort)) << n;
  }
}

TEST(ParseTest, EthernetPaddingIsTolerated) {
  // 40 bytes of datagram in a minimum frame: 6 bytes of padding outside tot_len.
  Bytes padded = kV2PassPacket;
  padded.insert(padded.end(), {0, 0, 0, 0, 0, 0});
  EXPECT_EQ(outcome(parseIpv4Advert(padded, v2Config())), "ok");
  padded.push_back(0);  // 47 bytes: not padding any more
  EXPECT_EQ(outcome(parseIpv4Advert(padded, v2Config())), name(DropReason::TooLong));

  Bytes v3 = encodeIpv4Packet(v3Advert(), multicastV4());  // 32 bytes
  v3.resize(46, 0xaa);
  EXPECT_EQ(outcome(parseIpv4Advert(v3, v3Config())), "ok");
}

TEST(ParseTest, TooLong) {
  // Three addresses announced but four sent (datagram of 52 bytes > 46).
  Advert a = v2Advert();
  a.addresses = {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")};
  Bytes p = encodeIpv4Packet(a, v2Options());
  p.insert(p.end(), {10, 0, 0, 4});
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::TooLong));
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  v6.push_back(0);  // IPv6 frames are never padded
  EXPECT_EQ(outcome(parseV6(v6, v6Config())), name(DropReason::TooLong));
}

TEST(ParseTest, BadIpHeader) {
  Bytes p = kV2PassPacket;
  p[0] = 0x44;  // ihl 4
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadIpHeader));
  p = kV2PassPacket;
  p[0] = 0x65;  // IP version 6
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadIpHeader));
  p = kV2PassPacket;
  p[9] = 17;  // UDP
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadIpHeader));
  p = kV2PassPacket;
  p[3] = 0x29;  // tot_len 41 for a 40-byte datagram
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadIpHeader));
  p = kV2PassPacket;
  p.insert(p.end(), {0, 0});
  p[3] = 0x2a;  // tot_len covers the 2 padding bytes
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadIpHeader));
}

TEST(ParseTest, Ipv4OptionsAreSkipped) {
  // ihl 6: a 4-byte Router Alert option (RFC 2113) before the VRRP message.
  Bytes p(kV2PassPacket.begin(), kV2PassPacket.begin() + 20);
  p[0] = 0x46;
  p[3] = 44;
  p.insert(p.end(), {0x94, 0x04, 0x00, 0x00});
  p.insert(p.end(), kV2PassPacket.begin() + 20, kV2PassPacket.end());
  Received r = parseIpv4Advert(p, v2Config());
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r), v2Advert());
}

TEST(ParseTest, AhWithoutAhConfiguredIsAnAuthTypeMismatch) {
  Bytes p = kV2PassPacket;
  p[9] = kAhProtocol;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::AuthTypeMismatch));
}

TEST(ParseTest, WrongFamily) {
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, v6Config())), name(DropReason::WrongFamily));
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  ReceiveConfig v4 = v6Config();
  v4.ipv6 = false;
  EXPECT_EQ(outcome(parseV6(v6, v4)), name(DropReason::WrongFamily));
  EXPECT_EQ(outcome(parseIpv6Advert(v6, ip("10.0.0.1"), ip("ff02::12"), 255, v6Config())),
            name(DropReason::WrongFamily));
}

TEST(ParseTest, UnknownVrid) {
  ReceiveConfig c = v2Config();
  c.vrid = 52;
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, c)), name(DropReason::UnknownVrid));
  ReceiveConfig c6 = v6Config();
  c6.vrid = 8;
  EXPECT_EQ(outcome(parseV6(encodeAdvert(v6Advert(), multicastV6()), c6)),
            name(DropReason::UnknownVrid));
}

TEST(ParseTest, BadTtl) {
  Bytes p = kV2PassPacket;
  p[8] = 254;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadTtl));
  EXPECT_EQ(outcome(parseV6(encodeAdvert(v6Advert(), multicastV6()), v6Config(), 1)),
            name(DropReason::BadTtl));
}

TEST(ParseTest, BadVersion) {
  // Version 1 in a v2-sized message, and a v3 message to a v2 instance.
  Bytes p = kV2PassPacket;
  p[20] = 0x11;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadVersion));
  ReceiveConfig c = v2Config();
  c.vrid = 1;
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(v3Advert(), multicastV4()), c)),
            name(DropReason::BadVersion));
}

TEST(ParseTest, V2OverIpv6IsABadVersion) {
  // Even for an instance (wrongly) configured as v2: RFC 5798 §5.2.1, IPv6 is v3 only.
  ReceiveConfig c = v6Config();
  c.version = 2;
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  v6[0] = 0x21;
  v6.insert(v6.end(), 8, 0);  // auth data, so the length is a v2 length
  EXPECT_EQ(outcome(parseV6(v6, c)), name(DropReason::BadVersion));
}

TEST(ParseTest, InvalidAuthType) {
  Bytes p = kV2PassPacket;
  p[24] = 3;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::InvalidAuthType));
}

TEST(ParseTest, AuthTypeMismatch) {
  Bytes p = kV2PassPacket;
  p[24] = 0;  // none, PASS configured
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::AuthTypeMismatch));
  p[24] = 2;  // AH in the VRRP header, PASS configured
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::AuthTypeMismatch));
  ReceiveConfig none = v2Config();
  none.auth_type = model::AuthType::None;
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, none)), name(DropReason::AuthTypeMismatch));
  ReceiveConfig ah = v2Config();  // AH cannot be verified here, so nothing passes
  ah.auth_type = model::AuthType::Ah;
  p[24] = 2;
  EXPECT_EQ(outcome(parseIpv4Advert(p, ah)), name(DropReason::AuthTypeMismatch));
}

TEST(ParseTest, AuthFailure) {
  ReceiveConfig c = v2Config();
  c.password = authPassword("secreT");
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, c)), name(DropReason::AuthFailure));
  c.password = authPassword("secret1");  // a longer password differs in the padding
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, c)), name(DropReason::AuthFailure));
  c.password = authPassword("secret12345");  // only 8 bytes count
  Bytes p = encodeIpv4Packet(v2Advert(), {.auth_type = model::AuthType::Pass,
                                          .password = authPassword("secret12"),
                                          .destination = ip("224.0.0.18")});
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), "ok");
}

TEST(ParseTest, V2IntervalMismatchIsDropped) {
  ReceiveConfig c = v2Config();
  c.advert_int = Centis(200);
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, c)), name(DropReason::IntervalMismatch));
  c.advert_int = Centis(120);  // rounds to the same whole second
  EXPECT_EQ(outcome(parseIpv4Advert(kV2PassPacket, c)), "ok");
}

TEST(ParseTest, BadType) {
  Bytes p = kV2PassPacket;
  p[20] = 0x22;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadType));
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  v6[0] = 0x30;
  EXPECT_EQ(outcome(parseV6(v6, v6Config())), name(DropReason::BadType));
}

TEST(ParseTest, BadChecksum) {
  Bytes p = kV2PassPacket;
  p[27] ^= 1;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadChecksum));
  // v3 over IPv4: the pseudo-header counts, so a v2-style checksum fails.
  Bytes v3 = encodeIpv4Packet(v3Advert(), multicastV4());
  v3[26] = 0xa8;
  v3[27] = 0x8b;
  EXPECT_EQ(outcome(parseIpv4Advert(v3, v3Config())), name(DropReason::BadChecksum));
  // v3 over IPv6: a different source than the one the checksum was made for.
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  EXPECT_EQ(outcome(parseIpv6Advert(v6, ip("fe80::2"), ip("ff02::12"), 255, v6Config())),
            name(DropReason::BadChecksum));
}

TEST(ParseTest, UnicastMismatch) {
  ReceiveConfig c = v3Config();
  c.unicast = true;
  c.unicast_peers = {ip("192.168.1.2")};
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(v3Advert(), multicastV4()), c)),
            name(DropReason::UnicastMismatch));
  EncodeOptions to_peer = multicastV4();
  to_peer.destination = ip("192.168.1.3");
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(v3Advert(), to_peer), v3Config())),
            name(DropReason::UnicastMismatch));
}

TEST(ParseTest, AddressCount) {
  Advert a = v3Advert();
  a.addresses.push_back(ip("192.168.1.101"));
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(a, multicastV4()), v3Config())),
            name(DropReason::AddressCount));
  a.addresses.clear();
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(a, multicastV4()), v3Config())),
            name(DropReason::AddressCount));
}

TEST(ParseTest, AddressList) {
  Advert a = v3Advert();
  a.addresses = {ip("192.168.1.101")};
  Bytes p = encodeIpv4Packet(a, multicastV4());
  EXPECT_EQ(outcome(parseIpv4Advert(p, v3Config())), name(DropReason::AddressList));
  // Same count, one duplicated: still a different list.
  Advert six = v6Advert();
  six.addresses = {ip("fe80::100"), ip("fe80::100")};
  EXPECT_EQ(outcome(parseV6(encodeAdvert(six, multicastV6()), v6Config())),
            name(DropReason::AddressList));
}

TEST(ParseTest, SkipCheckAdvAddrOnlyForTheCurrentMaster) {
  Advert a = v3Advert();
  a.addresses = {ip("192.168.1.101")};
  Bytes p = encodeIpv4Packet(a, multicastV4());
  ReceiveConfig c = v3Config();
  c.skip_check_adv_addr = true;
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), name(DropReason::AddressList));  // no master yet
  c.current_master = ip("192.168.1.9");
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), name(DropReason::AddressList));
  c.current_master = ip("192.168.1.2");
  Received r = parseIpv4Advert(p, c);
  ASSERT_EQ(outcome(r), "ok");
  EXPECT_EQ(std::get<Advert>(r).addresses, a.addresses);
}

TEST(ParseTest, UnicastSkipsTtlAndChecksPeersWhenAsked) {
  EncodeOptions to_me = multicastV4();
  to_me.destination = ip("192.168.1.3");
  to_me.ttl = 62;  // two routed hops
  Bytes p = encodeIpv4Packet(v3Advert(), to_me);
  ReceiveConfig c = v3Config();
  c.unicast = true;
  c.unicast_peers = {ip("192.168.1.4")};
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), "ok");  // check_unicast_src off
  c.check_unicast_src = true;
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), name(DropReason::NotUnicastPeer));
  c.unicast_peers.push_back(ip("192.168.1.2"));
  EXPECT_EQ(outcome(parseIpv4Advert(p, c)), "ok");

  ReceiveConfig c6 = v6Config();
  c6.unicast = true;
  c6.check_unicast_src = true;
  c6.unicast_peers = {ip("fe80::9")};
  EncodeOptions o6;
  o6.destination = ip("fe80::2");
  EXPECT_EQ(outcome(parseV6(encodeAdvert(v6Advert(), o6), c6, 64, "fe80::2")),
            name(DropReason::NotUnicastPeer));
}

TEST(ParseTest, ChecksRunInKeepalivedsOrder) {
  // Wrong VRID, TTL, version and checksum at once: the VRID is reported.
  Bytes p = kV2PassPacket;
  p[21] = 9;
  p[8] = 1;
  p[20] = 0x31;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::UnknownVrid));
  p[21] = 51;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadTtl));
  p[8] = 255;
  EXPECT_EQ(outcome(parseIpv4Advert(p, v2Config())), name(DropReason::BadVersion));
}

TEST(PeekTest, Vrid) {
  EXPECT_EQ(peekIpv4Vrid(kV2PassPacket), 51);
  EXPECT_FALSE(peekIpv4Vrid(Bytes(kV2PassPacket.begin(), kV2PassPacket.begin() + 21)));
  EXPECT_FALSE(peekIpv4Vrid(Bytes{0x44, 0, 0, 0}));
  EXPECT_FALSE(peekIpv4Vrid(Bytes{}));
  EXPECT_EQ(peekIpv6Vrid(encodeAdvert(v6Advert(), multicastV6())), 7);
  EXPECT_FALSE(peekIpv6Vrid(Bytes{0x31}));
}

// keel's source checks (keepalived has none): an address no VRRP router can send from.
TEST(SourceCheckTest, ImpossibleSourcesByReason) {
  ReceiveConfig c;
  c.interface_prefixes = {*base::Prefix::parse("192.168.1.2/24"),
                          *base::Prefix::parse("10.0.0.1/31"),  // point to point: no edges
                          *base::Prefix::parse("fe80::2/64")};
  c.local_addresses = {ip("192.168.1.2"), ip("192.168.1.10"), ip("fe80::2")};
  const std::pair<const char*, std::optional<DropReason>> cases[] = {
      {"0.0.0.0", DropReason::SourceUnspecified},
      {"::", DropReason::SourceUnspecified},
      {"255.255.255.255", DropReason::SourceBroadcast},
      {"192.168.1.255", DropReason::SourceBroadcast},
      {"192.168.1.0", DropReason::SourceBroadcast},
      {"224.0.0.18", DropReason::SourceMulticast},
      {"ff02::12", DropReason::SourceMulticast},
      {"192.168.1.2", DropReason::SourceOwn},
      {"192.168.1.10", DropReason::SourceOwn},
      {"fe80::2", DropReason::SourceOwn},
      {"172.16.0.1", DropReason::SourceOffLink},
      {"2001:db8::1", DropReason::SourceOffLink},
      {"192.168.1.3", std::nullopt},
      {"10.0.0.0", std::nullopt},  // a /31 has no network or broadcast address
      {"fe80::3", std::nullopt},
  };
  for (const auto& [source, want] : cases) {
    EXPECT_EQ(checkSource(ip(source), c), want) << source;
  }
  c.unicast = true;  // unicast peers may be routed; the peer list decides
  EXPECT_EQ(checkSource(ip("172.16.0.1"), c), std::nullopt);
  EXPECT_EQ(checkSource(ip("0.0.0.0"), c), DropReason::SourceUnspecified);
  c.unicast = false;
  c.interface_prefixes.clear();  // unknown interface: no subnet judgement
  EXPECT_EQ(checkSource(ip("172.16.0.1"), c), std::nullopt);
}

TEST(SourceCheckTest, RunsAfterKeepalivedsChecks) {
  ReceiveConfig c = v2Config();
  c.interface_prefixes = {*base::Prefix::parse("192.168.1.1/24")};
  Advert a = v2Advert();
  a.source = ip("192.168.1.255");
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(a, v2Options()), c)), "src_broadcast");
  Bytes bad = encodeIpv4Packet(a, v2Options());
  bad.back() ^= 1;  // the password: keepalived's check names it first
  EXPECT_EQ(outcome(parseIpv4Advert(bad, c)), "auth_failure");
  a.source = ip("192.168.1.3");
  EXPECT_EQ(outcome(parseIpv4Advert(encodeIpv4Packet(a, v2Options()), c)), "ok");
}

TEST(ParseTest, NoSingleByteCorruptionCrashes) {
  // Every value at every offset of valid v2, v3 and IPv6 packets: each parse ends in an advert
  // or a reason (the sanitizer build checks the reads).
  std::vector<std::pair<Bytes, ReceiveConfig>> cases = {
      {kV2PassPacket, v2Config()},
      {encodeIpv4Packet(v3Advert(), multicastV4()), v3Config()},
  };
  std::size_t accepted = 0;
  for (const auto& [packet, config] : cases) {
    for (std::size_t i = 0; i < packet.size(); ++i) {
      Bytes p = packet;
      for (int v = 0; v < 256; ++v) {
        p[i] = static_cast<std::uint8_t>(v);
        if (std::holds_alternative<Advert>(parseIpv4Advert(p, config))) ++accepted;
      }
    }
  }
  Bytes v6 = encodeAdvert(v6Advert(), multicastV6());
  for (std::size_t i = 0; i < v6.size(); ++i) {
    Bytes p = v6;
    for (int v = 0; v < 256; ++v) {
      p[i] = static_cast<std::uint8_t>(v);
      if (std::holds_alternative<Advert>(parseV6(p, v6Config()))) ++accepted;
    }
  }
  EXPECT_GT(accepted, 0u);  // at least the unchanged bytes
}

}  // namespace
}  // namespace keel::vrrp
