// Two SessionRunners joined by a simulated link on a FakeClock: the whole RFC 5880 exchange,
// timed to the microsecond.
#include "bfd/session.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "bfd/session_runner.h"

namespace keel::bfd {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr base::Duration kLatency = microseconds(100);

SessionParams params(int tx_ms = 10, int rx_ms = 10, int mult = 3) {
  return SessionParams{milliseconds(tx_ms), milliseconds(rx_ms), milliseconds(1000), mult, false};
}

// One end of the link: a runner, what it sent, and its transitions.
struct End {
  std::unique_ptr<SessionRunner> runner;
  std::vector<ControlPacket> sent;
  std::vector<Transition> transitions;
  std::vector<std::pair<base::Duration, base::Duration>> expiries;  // (since last, detect)
  std::vector<DropReason> drops;
  bool cut = false;  // packets from this end are lost
};

class BfdLinkTest : public ::testing::Test {
 protected:
  void make(SessionParams pa, SessionParams pb) {
    build(a_, b_, pa, 0x1111, 1);
    build(b_, a_, pb, 0x2222, 2);
  }
  void build(End& self, End& peer, SessionParams p, std::uint32_t discr, std::uint32_t seed) {
    SessionRunner::Callbacks cb;
    cb.send = [this, &self, &peer](const ControlPacket& pkt) {
      self.sent.push_back(pkt);
      if (self.cut) return;
      clock_.runAfter(kLatency, [&peer, pkt] {
        if (auto d = peer.runner->receive(pkt)) peer.drops.push_back(*d);
      });
    };
    cb.on_transition = [&self](const Transition& t) { self.transitions.push_back(t); };
    cb.on_expired = [&self](base::Duration since, base::Duration detect) {
      self.expiries.emplace_back(since, detect);
    };
    self.runner = std::make_unique<SessionRunner>(clock_, p, discr, seed, std::move(cb));
  }
  void startBoth() {
    a_.runner->start();
    b_.runner->start();
  }
  State stateA() const { return a_.runner->session().state(); }
  State stateB() const { return b_.runner->session().state(); }

  base::FakeClock clock_;
  End a_;
  End b_;
};

TEST_F(BfdLinkTest, ThreeWayHandshakeBringsBothEndsUp) {
  make(params(), params());
  startBoth();
  clock_.advance(milliseconds(5));
  EXPECT_EQ(stateA(), State::Up);
  EXPECT_EQ(stateB(), State::Up);
  // Down -> Init -> Up on one side, Down -> Up on the other (whoever heard Init first).
  ASSERT_FALSE(a_.transitions.empty());
  EXPECT_EQ(a_.transitions.back().to, State::Up);
  EXPECT_EQ(a_.runner->session().remoteDiscriminator(), 0x2222u);
  EXPECT_EQ(b_.runner->session().remoteDiscriminator(), 0x1111u);
  // The first packets say Down with Your Discriminator 0 (nothing learned yet).
  EXPECT_EQ(a_.sent.front().state, State::Down);
  EXPECT_EQ(a_.sent.front().your_discriminator, 0u);
}

TEST_F(BfdLinkTest, UpThePacketRateFollowsMinTxWithJitter) {
  make(params(10, 10), params(10, 10));
  startBoth();
  clock_.advance(milliseconds(100));
  const std::size_t before = a_.sent.size();
  clock_.advance(seconds(1));
  const std::size_t n = a_.sent.size() - before;
  // Intervals of 7.5-10 ms (up to 25 % jitter): 100 to 134 packets in one second.
  EXPECT_GE(n, 100u);
  EXPECT_LE(n, 134u);
  EXPECT_TRUE(a_.expiries.empty());
}

TEST_F(BfdLinkTest, NotUpTheIntervalIsIdleTxAtLeastOneSecond) {
  make(params(), params());
  b_.cut = true;  // a never hears b: it stays Down
  a_.runner->start();
  clock_.advance(seconds(10));
  // 0.75-1 s apart: 10 to 14 packets in 10 s (the first at once).
  EXPECT_GE(a_.sent.size(), 10u);
  EXPECT_LE(a_.sent.size(), 14u);
  EXPECT_EQ(a_.sent.back().desired_min_tx_us, 1000000u);
  EXPECT_EQ(stateA(), State::Down);
}

TEST_F(BfdLinkTest, SilenceIsDetectedExactlyAfterTheDetectionTime) {
  make(params(10, 10, 3), params(10, 10, 3));
  startBoth();
  clock_.advance(milliseconds(200));
  ASSERT_EQ(stateA(), State::Up);
  b_.cut = true;  // b's packets stop reaching a
  clock_.advance(milliseconds(100));
  EXPECT_EQ(stateA(), State::Down);
  EXPECT_EQ(a_.runner->session().diag(), Diag::DetectExpired);
  EXPECT_EQ(a_.runner->session().remoteDiscriminator(), 0u);
  ASSERT_EQ(a_.expiries.size(), 1u);
  // Detection time = b's DetectMult x max(a's RequiredMinRx, b's DesiredMinTx) = 3 x 10 ms.
  EXPECT_EQ(a_.expiries[0].second, milliseconds(30));
  EXPECT_EQ(a_.expiries[0].first, milliseconds(30));  // to the microsecond on a fake clock
  // a now says Down; b, still hearing a, follows with "neighbor signaled down".
  EXPECT_EQ(stateB(), State::Down);
  EXPECT_EQ(b_.runner->session().diag(), Diag::NeighborDown);
}

TEST_F(BfdLinkTest, TheSlowerSideSetsTheIntervalsBothWays) {
  // a wants to send every 10 ms, b can only take one every 50 ms; b sends every 10 ms and a
  // accepts that.
  make(params(10, 10, 3), params(10, 50, 4));
  startBoth();
  clock_.advance(milliseconds(500));
  ASSERT_EQ(stateA(), State::Up);
  EXPECT_EQ(a_.runner->session().txIntervalInUse(), milliseconds(50));
  EXPECT_EQ(b_.runner->session().txIntervalInUse(), milliseconds(10));
  // a detects b with b's multiplier: 4 x max(10, 10); b detects a: 3 x max(50, 10).
  EXPECT_EQ(a_.runner->session().detectTime(), milliseconds(40));
  EXPECT_EQ(b_.runner->session().detectTime(), milliseconds(150));
}

TEST_F(BfdLinkTest, GoingUpStartsAPollThatTheFinalEnds) {
  make(params(), params());
  startBoth();
  clock_.advance(milliseconds(50));
  ASSERT_EQ(stateA(), State::Up);
  // After Up, DesiredMinTx dropped from 1 s to 10 ms: a Poll went out and a Final came back.
  bool polled = false;
  bool finaled = false;
  for (const ControlPacket& p : a_.sent) polled = polled || p.poll;
  for (const ControlPacket& p : b_.sent) finaled = finaled || p.final;
  EXPECT_TRUE(polled);
  EXPECT_TRUE(finaled);
  EXPECT_FALSE(a_.runner->session().polling());
  EXPECT_FALSE(a_.sent.back().poll);
  for (const ControlPacket& p : a_.sent) EXPECT_FALSE(p.poll && p.final);
}

TEST_F(BfdLinkTest, ALargerIntervalWaitsForTheFinal) {
  make(params(), params());
  startBoth();
  clock_.advance(milliseconds(50));
  ASSERT_EQ(stateA(), State::Up);
  b_.cut = true;  // no Final will come back for a while
  a_.runner->setParams(params(40, 10, 3));
  EXPECT_TRUE(a_.runner->session().polling());
  EXPECT_EQ(a_.runner->session().txIntervalInUse(), milliseconds(10));      // not yet 40
  EXPECT_EQ(a_.runner->session().packet(false).desired_min_tx_us, 40000u);  // but advertised
  b_.cut = false;
  clock_.advance(milliseconds(25));
  EXPECT_FALSE(a_.runner->session().polling());
  EXPECT_EQ(a_.runner->session().txIntervalInUse(), milliseconds(40));
  // b learned the new interval: its detection time for a grew to 3 x 40 ms.
  EXPECT_EQ(b_.runner->session().detectTime(), milliseconds(120));
  EXPECT_EQ(stateB(), State::Up);
}

TEST_F(BfdLinkTest, ASmallerReceiveIntervalKeepsTheOldDetectionTimeUntilTheFinal) {
  make(params(10, 50, 3), params(10, 10, 3));
  startBoth();
  clock_.advance(milliseconds(300));
  ASSERT_EQ(stateA(), State::Up);
  EXPECT_EQ(a_.runner->session().detectTime(), milliseconds(150));
  b_.cut = true;
  a_.runner->setParams(params(10, 10, 3));
  EXPECT_EQ(a_.runner->session().detectTime(), milliseconds(150));  // still the old value
  b_.cut = false;
  clock_.advance(milliseconds(60));
  EXPECT_EQ(a_.runner->session().detectTime(), milliseconds(30));
}

TEST_F(BfdLinkTest, PassiveWaitsToBeSpokenTo) {
  SessionParams passive = params();
  passive.passive = true;
  make(passive, passive);
  startBoth();
  clock_.advance(seconds(5));
  EXPECT_TRUE(a_.sent.empty());
  EXPECT_TRUE(b_.sent.empty());

  make(passive, params());
  startBoth();
  clock_.advance(milliseconds(100));
  EXPECT_EQ(stateA(), State::Up);
  EXPECT_EQ(stateB(), State::Up);
}

TEST_F(BfdLinkTest, AdminDownTellsTheNeighbourAndFallsSilent) {
  make(params(), params());
  startBoth();
  clock_.advance(milliseconds(50));
  ASSERT_EQ(stateB(), State::Up);
  a_.runner->stop();
  EXPECT_EQ(a_.sent.back().state, State::AdminDown);
  EXPECT_EQ(a_.sent.back().diag, Diag::AdminDown);
  const std::size_t sent = a_.sent.size();
  clock_.advance(milliseconds(5));
  EXPECT_EQ(stateB(), State::Down);
  EXPECT_EQ(b_.runner->session().diag(), Diag::NeighborDown);
  clock_.advance(seconds(3));
  EXPECT_EQ(a_.sent.size(), sent);
  EXPECT_EQ(stateA(), State::AdminDown);
  // b's packets reach an AdminDown session: discarded and counted.
  EXPECT_FALSE(a_.drops.empty());
  EXPECT_EQ(a_.drops.back(), DropReason::AdminDown);
}

TEST_F(BfdLinkTest, ThePeerComingBackBringsTheSessionUpAgain) {
  make(params(), params());
  startBoth();
  clock_.advance(milliseconds(50));
  b_.cut = true;
  clock_.advance(milliseconds(50));
  ASSERT_EQ(stateA(), State::Down);
  b_.cut = false;
  clock_.advance(seconds(3));  // idle intervals while Down: up to a second each way
  EXPECT_EQ(stateA(), State::Up);
  EXPECT_EQ(stateB(), State::Up);
}

TEST(BfdSessionTest, AuthenticatedPacketsAreDiscarded) {
  Session s(params(), 7);
  ControlPacket p;
  p.state = State::Down;
  p.detect_mult = 3;
  p.my_discriminator = 9;
  p.auth = true;
  const auto out = s.receive(p, base::TimePoint{});
  EXPECT_EQ(out.dropped, DropReason::AuthPresent);
  EXPECT_EQ(s.remoteDiscriminator(), 0u);
}

TEST(BfdSessionTest, JitterStaysWithinTheRfcBounds) {
  Session s(params(10, 10, 3), 7);
  ControlPacket p;
  p.state = State::Down;
  p.detect_mult = 3;
  p.my_discriminator = 9;
  p.required_min_rx_us = 1;
  (void)s.receive(p, base::TimePoint{});
  const base::Duration interval = *s.txInterval();
  EXPECT_EQ(*s.nextTxDelay(0.0), interval);
  EXPECT_EQ(*s.nextTxDelay(1.0), interval * 3 / 4);

  Session one(params(10, 10, 1), 8);  // DetectMult 1: 75 % to 90 %
  (void)one.receive(p, base::TimePoint{});
  EXPECT_EQ(*one.nextTxDelay(0.0), *one.txInterval() * 9 / 10);
  EXPECT_EQ(*one.nextTxDelay(1.0), *one.txInterval() * 3 / 4);
}

TEST(BfdSessionTest, ARemoteThatWantsNoPacketsGetsNone) {
  Session s(params(), 7);
  ControlPacket p;
  p.state = State::Down;
  p.detect_mult = 3;
  p.my_discriminator = 9;
  p.required_min_rx_us = 0;
  (void)s.receive(p, base::TimePoint{});
  EXPECT_EQ(s.txInterval(), std::nullopt);
}

}  // namespace
}  // namespace keel::bfd
