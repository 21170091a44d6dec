#include "net/announce.h"

#include <gtest/gtest.h>

#include "base/checksum.h"

namespace keel::net {
namespace {

const Mac kMac{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2; the checksum is its complement.
  const std::uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  base::Checksum sum;
  sum.add(data);
  EXPECT_EQ(sum.finish(), 0x220d);
  const std::uint8_t odd[] = {0x01};  // a trailing byte is padded with zero: 0x0100
  base::Checksum one;
  one.add(odd);
  EXPECT_EQ(one.finish(), 0xfeff);
}

TEST(AnnounceTest, GratuitousArpIsARequestForItself) {
  const auto frame = gratuitousArp(kMac, *base::IpAddress::parse("198.18.0.100"));
  const std::vector<std::uint8_t> want = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                      // broadcast
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,                      // our MAC
      0x08, 0x06,                                              // ARP
      0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,          // Ethernet/IPv4, request
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 198,  18,   0, 100,  // sender
      0,    0,    0,    0,    0,    0,    198,  18,   0, 100,  // target: the same address
  };
  EXPECT_EQ(frame, want);
}

TEST(AnnounceTest, UnsolicitedNaCarriesOverrideTargetAndAValidChecksum) {
  const auto source = *base::IpAddress::parse("fe80::1");
  const auto vip = *base::IpAddress::parse("2001:db8::100");
  const auto frame = unsolicitedNa(kMac, source, vip);
  ASSERT_EQ(frame.size(), 14u + 40u + 32u);
  EXPECT_EQ(std::vector<std::uint8_t>(frame.begin(), frame.begin() + 6),
            (std::vector<std::uint8_t>{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(frame[12], 0x86);
  EXPECT_EQ(frame[13], 0xdd);
  EXPECT_EQ(frame[14 + 6], 58);   // next header ICMPv6
  EXPECT_EQ(frame[14 + 7], 255);  // hop limit
  const std::size_t icmp = 14 + 40;
  EXPECT_EQ(frame[icmp], 136);       // Neighbor Advertisement
  EXPECT_EQ(frame[icmp + 4], 0x20);  // Override only
  EXPECT_TRUE(std::equal(vip.bytes().begin(), vip.bytes().end(), frame.begin() + icmp + 8));
  EXPECT_EQ(frame[icmp + 24], 2);  // target link-layer address option
  EXPECT_TRUE(std::equal(kMac.begin(), kMac.end(), frame.begin() + icmp + 26));
  // Summing the pseudo-header and the message including its checksum gives 0 (RFC 1071).
  base::Checksum sum;
  sum.addPseudoHeader(source, *base::IpAddress::parse("ff02::1"), 58, 32);
  sum.add(std::span(frame).subspan(icmp));
  EXPECT_EQ(sum.finish(), 0);
}

}  // namespace
}  // namespace keel::net
