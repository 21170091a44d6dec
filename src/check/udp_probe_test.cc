#include "check/udp_probe.h"

#include <string>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseReplyPattern, KeepalivedHexNotation) {
  EXPECT_EQ(parseReplyPattern("0102ff").value(), (ReplyPattern{{1, 2, 0xff}, {0, 0, 0}}));
  EXPECT_EQ(parseReplyPattern(" 01 02\tFF ").value(), (ReplyPattern{{1, 2, 0xff}, {0, 0, 0}}));
  EXPECT_EQ(parseReplyPattern("1 2 3").value(), (ReplyPattern{{1, 2, 3}, {0, 0, 0}}));
  EXPECT_EQ(parseReplyPattern("aX Xb xx").value(),
            (ReplyPattern{{0xa0, 0x0b, 0}, {0x0f, 0xf0, 0xff}}));
  EXPECT_EQ(parseReplyPattern("").value(), ReplyPattern{});
  EXPECT_EQ(parseReplyPattern("abc").value(), (ReplyPattern{{0xab, 0x0c}, {0, 0}}));
}

TEST(ParseReplyPattern, RejectsOtherCharacters) {
  EXPECT_FALSE(parseReplyPattern("zz"));
  EXPECT_FALSE(parseReplyPattern("01 0g"));
  EXPECT_FALSE(parseReplyPattern("01-02"));
  // No C prefix: "0x" is an octet whose low nibble is a wildcard.
  EXPECT_EQ(parseReplyPattern("0x01").value(), (ReplyPattern{{0x00, 0x01}, {0x0f, 0}}));
}

TEST(DefaultUdpPayload, IsThirtyTwoBytesOfText) {
  const Bytes p = defaultUdpPayload();
  EXPECT_EQ(p.size(), 32U);
  for (std::uint8_t b : p) EXPECT_TRUE(b >= 0x20 && b < 0x7f);
}

TEST(UdpReplyMismatch, LengthBounds) {
  const ReplyPattern none;
  EXPECT_FALSE(udpReplyMismatch(Bytes(4), none, 0, 255));
  EXPECT_EQ(udpReplyMismatch(Bytes(3), none, 4, 255), "reply of 3 bytes, outside 4..255");
  EXPECT_EQ(udpReplyMismatch(Bytes(256), none, 0, 255), "reply of 256 bytes, outside 0..255");
  EXPECT_TRUE(udpReplyMismatch({}, none, 1, 255));
  EXPECT_FALSE(udpReplyMismatch({}, none, 0, 255));
}

TEST(UdpReplyMismatch, PatternWithWildcards) {
  const ReplyPattern p = parseReplyPattern("de aX Xf").value();
  EXPECT_FALSE(udpReplyMismatch(Bytes{0xde, 0xa7, 0x3f, 0x99}, p, 0, 255));
  EXPECT_EQ(udpReplyMismatch(Bytes{0xde, 0xb7, 0x3f}, p, 0, 255), "reply data mismatch at byte 1");
  EXPECT_TRUE(udpReplyMismatch(Bytes{0xdf}, p, 0, 255));
  // As keepalived: only the shorter of reply and pattern is compared.
  EXPECT_FALSE(udpReplyMismatch(Bytes{0xde}, p, 0, 255));
  EXPECT_TRUE(udpReplyMismatch(Bytes{0xde}, p, 3, 255));
}

class UdpProbeTest : public ::testing::Test {
 protected:
  std::optional<ProbeResult> run(const base::Endpoint& ep, model::UdpCheck check,
                                 base::Duration budget = seconds(5)) {
    UdpProbe probe(t_.loop(), testing::targetFor(ep), std::move(check));
    return t_.run(probe, budget);
  }
  testing::UdpResponder echo(Bytes* seen = nullptr, Bytes answer = {}) {
    return testing::UdpResponder(t_.loop(), lo4_, [seen, answer](std::span<const std::uint8_t> d) {
      if (seen) seen->assign(d.begin(), d.end());
      return std::vector<Bytes>{answer.empty() ? Bytes(d.begin(), d.end()) : answer};
    });
  }
  base::Endpoint closedPort() {
    testing::UdpResponder gone(t_.loop(), lo4_,
                               [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
    return gone.endpoint();
  }
  testing::ProbeLoop t_;
  const base::IpAddress lo4_ = base::IpAddress::v4(0x7f000001);
};

TEST_F(UdpProbeTest, ListeningPortIsUpAndGetsTheDefaultPayload) {
  Bytes seen;
  testing::UdpResponder server(t_.loop(), lo4_, [&](std::span<const std::uint8_t> d) {
    seen.assign(d.begin(), d.end());
    return std::vector<Bytes>{};
  });
  const auto budget = milliseconds(300);
  auto r = run(server.endpoint(), {}, budget);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(seen, defaultUdpPayload());
  EXPECT_GE(t_.elapsed, budget);  // no reply needed: up once no ICMP error came in time
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(UdpProbeTest, ClosedPortIsDownBeforeTheDeadline) {
  auto r = run(closedPort(), {}, seconds(10));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason.find("Connection refused"), std::string::npos) << r->reason;
  EXPECT_LT(t_.elapsed, seconds(5));
}

TEST_F(UdpProbeTest, ClosedIpv6PortIsDown) {
  base::Endpoint closed;
  {
    testing::UdpResponder gone(t_.loop(), base::IpAddress::parseV6("::1").value(),
                               [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
    closed = gone.endpoint();
  }
  auto r = run(closed, {}, seconds(10));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_LT(t_.elapsed, seconds(5));
}

TEST_F(UdpProbeTest, RequiredReplyMatchingThePattern) {
  Bytes seen;
  auto server = echo(&seen, Bytes{'P', 'O', 'N', 'G', 0x17});
  model::UdpCheck c;
  c.payload = {'P', 'I', 'N', 'G'};
  c.require_reply = true;
  c.reply_pattern = "50 4f 4e 47 1X";
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(seen, c.payload);
}

TEST_F(UdpProbeTest, RequiredReplyNotMatchingFails) {
  auto server = echo(nullptr, Bytes{'P', 'O', 'N', 'X'});
  model::UdpCheck c;
  c.require_reply = true;
  c.reply_pattern = "504f4e47";
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "reply data mismatch at byte 3");
}

TEST_F(UdpProbeTest, OversizedReplyFails) {
  auto server = echo(nullptr, Bytes(4000, 'a'));
  model::UdpCheck c;
  c.require_reply = true;
  c.max_reply_length = 100;
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "reply of 4000 bytes, outside 0..100");
}

TEST_F(UdpProbeTest, ShortReplyFailsTheMinimum) {
  auto server = echo(nullptr, Bytes{1});
  model::UdpCheck c;
  c.require_reply = true;
  c.min_reply_length = 2;
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, "reply of 1 bytes, outside 2..255");
}

TEST_F(UdpProbeTest, RequiredReplyThatNeverComesFailsAtTheDeadline) {
  testing::UdpResponder server(t_.loop(), lo4_,
                               [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
  model::UdpCheck c;
  c.require_reply = true;
  const auto budget = milliseconds(300);
  auto r = run(server.endpoint(), c, budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "no reply");
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(UdpProbeTest, InvalidPatternFailsWithoutSending) {
  testing::UdpResponder server(t_.loop(), lo4_,
                               [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
  model::UdpCheck c;
  c.require_reply = true;
  c.reply_pattern = "nothex";
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason.find("reply_pattern"), std::string::npos);
  EXPECT_EQ(server.received, 0);
}

}  // namespace
}  // namespace keel::check
