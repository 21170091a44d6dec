#include "check/udp_probe.h"

#include <string>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DefaultUdpPayload, IsThirtyTwoBytesOfText) {
  const Bytes p = defaultUdpPayload();
  EXPECT_EQ(p.size(), 32U);
  for (std::uint8_t b : p) EXPECT_TRUE(b >= 0x20 && b < 0x7f);
}

model::UdpCheck bounds(int min, int max) {
  model::UdpCheck c;
  c.require_reply = true;
  c.min_reply_length = min;
  c.max_reply_length = max;
  return c;
}

TEST(UdpReplyMismatch, LengthBounds) {
  EXPECT_FALSE(udpReplyMismatch(Bytes(4), bounds(0, 255)));
  EXPECT_EQ(udpReplyMismatch(Bytes(3), bounds(4, 255)), "reply of 3 bytes, outside 4..255");
  EXPECT_EQ(udpReplyMismatch(Bytes(256), bounds(0, 255)), "reply of 256 bytes, outside 0..255");
  EXPECT_TRUE(udpReplyMismatch({}, bounds(1, 255)));
  EXPECT_FALSE(udpReplyMismatch({}, bounds(0, 255)));
}

TEST(UdpReplyMismatch, DataWithIgnoredBits) {
  model::UdpCheck c = bounds(0, 255);  // conf: require_reply de aX Xf
  c.reply_data = {0xde, 0xa0, 0x0f};
  c.reply_mask = {0x00, 0x0f, 0xf0};
  EXPECT_FALSE(udpReplyMismatch(Bytes{0xde, 0xa7, 0x3f, 0x99}, c));
  EXPECT_EQ(udpReplyMismatch(Bytes{0xde, 0xb7, 0x3f}, c), "reply data mismatch at byte 1");
  EXPECT_TRUE(udpReplyMismatch(Bytes{0xdf}, c));
  EXPECT_FALSE(udpReplyMismatch(Bytes{0xde}, c)) << "compared over the shorter";
  c.min_reply_length = 3;
  EXPECT_TRUE(udpReplyMismatch(Bytes{0xde}, c));
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
  c.reply_data = {0x50, 0x4f, 0x4e, 0x47, 0x10};  // conf: require_reply 50 4f 4e 47 1X
  c.reply_mask = {0, 0, 0, 0, 0x0f};
  auto r = run(server.endpoint(), c);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(seen, c.payload);
}

TEST_F(UdpProbeTest, RequiredReplyNotMatchingFails) {
  auto server = echo(nullptr, Bytes{'P', 'O', 'N', 'X'});
  model::UdpCheck c;
  c.require_reply = true;
  c.reply_data = {0x50, 0x4f, 0x4e, 0x47};
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

}  // namespace
}  // namespace keel::check
