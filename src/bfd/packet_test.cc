#include "bfd/packet.h"

#include <gtest/gtest.h>

#include <vector>

namespace keel::bfd {
namespace {

ControlPacket sample() {
  ControlPacket p;
  p.diag = Diag::DetectExpired;
  p.state = State::Up;
  p.poll = true;
  p.detect_mult = 3;
  p.my_discriminator = 0x01020304;
  p.your_discriminator = 0xa0b0c0d0;
  p.desired_min_tx_us = 10000;
  p.required_min_rx_us = 20000;
  return p;
}

std::vector<std::uint8_t> bytesOf(const ControlPacket& p) {
  auto a = encode(p);
  return {a.begin(), a.end()};
}

DropReason dropOf(const std::vector<std::uint8_t>& b) {
  auto r = parse(b);
  EXPECT_TRUE(std::holds_alternative<DropReason>(r));
  return std::holds_alternative<DropReason>(r) ? std::get<DropReason>(r) : DropReason::TooShort;
}

TEST(BfdPacketTest, EncodesTheRfc5880Layout) {
  const std::vector<std::uint8_t> b = bytesOf(sample());
  const std::vector<std::uint8_t> want = {
      0x21, 0xe0, 3,    24,  // version 1, diag 1; state Up, P; mult; length
      0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd0,               // discriminators
      0,    0,    0x27, 0x10, 0,    0,    0x4e, 0x20, 0, 0, 0, 0};  // 10000, 20000, 0 us
  EXPECT_EQ(b, want);
  auto back = parse(b);
  ASSERT_TRUE(std::holds_alternative<ControlPacket>(back));
  EXPECT_EQ(std::get<ControlPacket>(back), sample());
}

TEST(BfdPacketTest, ExtraPayloadBeyondTheLengthIsIgnored) {
  std::vector<std::uint8_t> b = bytesOf(sample());
  b.insert(b.end(), {1, 2, 3, 4});
  EXPECT_TRUE(std::holds_alternative<ControlPacket>(parse(b)));
}

TEST(BfdPacketTest, EachMalformationHasItsReason) {
  std::vector<std::uint8_t> b = bytesOf(sample());
  EXPECT_EQ(dropOf({b.begin(), b.begin() + 23}), DropReason::TooShort);

  auto with = [&](std::size_t at, std::uint8_t v) {
    std::vector<std::uint8_t> c = b;
    c[at] = v;
    return c;
  };
  EXPECT_EQ(dropOf(with(0, 0x41)), DropReason::BadVersion);
  EXPECT_EQ(dropOf(with(3, 23)), DropReason::BadLength);
  EXPECT_EQ(dropOf(with(3, 25)), DropReason::TooShort);     // longer than what arrived
  EXPECT_EQ(dropOf(with(1, 0xe4)), DropReason::BadLength);  // A bit: at least 26
  EXPECT_EQ(dropOf(with(2, 0)), DropReason::ZeroDetectMult);
  EXPECT_EQ(dropOf(with(1, 0xe1)), DropReason::Multipoint);
  std::vector<std::uint8_t> zero_my = b;
  std::fill(zero_my.begin() + 4, zero_my.begin() + 8, 0);
  EXPECT_EQ(dropOf(zero_my), DropReason::ZeroMyDiscr);
  std::vector<std::uint8_t> zero_your = b;
  std::fill(zero_your.begin() + 8, zero_your.begin() + 12, 0);
  EXPECT_EQ(dropOf(zero_your), DropReason::ZeroYourDiscr);  // state Up
  zero_your[1] = 0x40;                                      // state Down: allowed
  EXPECT_TRUE(std::holds_alternative<ControlPacket>(parse(zero_your)));
}

TEST(BfdPacketTest, AuthenticatedPacketsParseSoTheSessionCanCountThem) {
  std::vector<std::uint8_t> b = bytesOf(sample());
  b[1] |= 0x04;
  b[3] = 28;
  b.insert(b.end(), {1, 4, 1, 0});  // simple password section, type 1
  auto r = parse(b);
  ASSERT_TRUE(std::holds_alternative<ControlPacket>(r));
  EXPECT_TRUE(std::get<ControlPacket>(r).auth);
}

TEST(BfdPacketTest, NamesAndWireUnits) {
  EXPECT_EQ(stateName(State::AdminDown), "AdminDown");
  EXPECT_EQ(diagName(Diag::NeighborDown), "Neighbor Signaled Session Down");
  EXPECT_EQ(diagName(static_cast<Diag>(31)), "Unknown");
  EXPECT_EQ(dropReasonName(DropReason::BadTtl), "bad_ttl");
  EXPECT_EQ(dropReasonName(DropReason::NotFromNeighbor), "not_from_neighbor");
  EXPECT_EQ(toWire(std::chrono::milliseconds(3)), 3000u);
  EXPECT_EQ(toWire(std::chrono::hours(2)), 0xffffffffu);
  EXPECT_EQ(fromWire(1500), std::chrono::microseconds(1500));
}

}  // namespace
}  // namespace keel::bfd
