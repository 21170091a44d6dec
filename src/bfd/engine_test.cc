// Two engines talking real UDP over loopback (127.0.0.1 <-> 127.0.0.2, a free port), forged
// packets from a third address, the Events side, and the engine on its own thread.
#include "bfd/engine.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <functional>

#include "bfd/engine_thread.h"

namespace keel::bfd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

// A UDP port free on 127.0.0.1 a moment ago (the engines bind it on .1 and .2).
std::uint16_t freePort() {
  base::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  return ntohs(a.sin_port);
}

model::BfdInstance instance(const char* name, const char* self, const char* peer) {
  model::BfdInstance b;
  b.name = name;
  b.neighbor = ip(peer);
  b.source = ip(self);
  b.min_rx = milliseconds(20);
  b.min_tx = milliseconds(20);
  b.multiplier = 3;
  return b;
}

class BfdEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = event::Loop::create(clock_);
    ASSERT_TRUE(l);
    loop_ = std::move(*l);
    port_ = freePort();
  }
  std::unique_ptr<Engine> engine(const char* self, const char* peer, const char* name) {
    EngineOptions o;
    o.port = port_;
    o.listen_v4 = ip(self);
    o.seed = static_cast<std::uint32_t>(self[8]);
    auto e = Engine::create(*loop_, {instance(name, self, peer)}, o);
    EXPECT_TRUE(e) << e.error().str();
    return e ? std::move(*e) : nullptr;
  }
  // Runs the loop until `done` or two seconds.
  bool runUntil(const std::function<bool()>& done) {
    const base::TimePoint end = clock_.now() + seconds(2);
    while (!done() && clock_.now() < end) EXPECT_TRUE(loop_->runOnce(milliseconds(10)));
    return done();
  }
  static State stateOf(const Engine& e) { return e.sessions().at(0).state; }
  // Sends `bytes` to 127.0.0.1:port_ from `from` with `ttl`.
  void forge(const char* from, std::span<const std::uint8_t> bytes, int ttl = 255) {
    base::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::setsockopt(fd.get(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), 0);
    sockaddr_storage ss{};
    socklen_t len = base::Endpoint(ip(from), 0).toSockaddr(ss);
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len), 0);
    len = base::Endpoint(ip("127.0.0.1"), port_).toSockaddr(ss);
    ASSERT_EQ(
        ::sendto(fd.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len),
        static_cast<ssize_t>(bytes.size()));
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  std::uint16_t port_ = 0;
};

TEST_F(BfdEngineTest, TwoEnginesComeUpAndSubscribersHearIt) {
  auto a = engine("127.0.0.1", "127.0.0.2", "to_b");
  auto b = engine("127.0.0.2", "127.0.0.1", "to_a");
  ASSERT_TRUE(a && b);
  std::vector<SessionEvent> heard;
  auto sub = a->events()->subscribe(*loop_, [&](const SessionEvent& e) { heard.push_back(e); });
  a->start();
  b->start();
  ASSERT_TRUE(runUntil([&] { return stateOf(*a) == State::Up && stateOf(*b) == State::Up; }));
  ASSERT_TRUE(runUntil([&] { return !heard.empty() && heard.back().up(); }));
  EXPECT_EQ(heard.front().name, "to_b");
  EXPECT_EQ(heard.front().state, State::Down);  // the state at start, then each change
  EXPECT_EQ(a->sessions().at(0).remote_discriminator, b->sessions().at(0).local_discriminator);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    EXPECT_EQ(a->drops(static_cast<DropReason>(i)), 0u)
        << dropReasonName(static_cast<DropReason>(i));
  }

  b->stop();  // AdminDown: a goes Down at once, told so
  ASSERT_TRUE(runUntil([&] { return stateOf(*a) == State::Down; }));
  EXPECT_EQ(a->sessions().at(0).diag, Diag::NeighborDown);
  EXPECT_EQ(a->sessions().at(0).remote_state, State::AdminDown);
  EXPECT_FALSE(heard.back().up());
}

TEST_F(BfdEngineTest, SilenceIsDetected) {
  auto a = engine("127.0.0.1", "127.0.0.2", "to_b");
  auto b = engine("127.0.0.2", "127.0.0.1", "to_a");
  a->start();
  b->start();
  // Both Up and b's 20 ms interval learned (not Up, b advertised 1 s).
  ASSERT_TRUE(runUntil([&] { return a->sessions().at(0).detect_time == milliseconds(60); }));
  b.reset();  // gone without a word
  ASSERT_TRUE(runUntil([&] { return stateOf(*a) == State::Down; }));
  EXPECT_EQ(a->sessions().at(0).diag, Diag::DetectExpired);
}

TEST_F(BfdEngineTest, ForgedAndMalformedPacketsAreDroppedByReason) {
  auto a = engine("127.0.0.1", "127.0.0.2", "to_b");
  auto b = engine("127.0.0.2", "127.0.0.1", "to_a");
  a->start();
  b->start();
  ASSERT_TRUE(runUntil([&] { return stateOf(*a) == State::Up; }));
  const std::uint32_t mine = a->sessions().at(0).local_discriminator;
  ControlPacket good;
  good.state = State::Up;
  good.detect_mult = 3;
  good.my_discriminator = b->sessions().at(0).local_discriminator;
  good.your_discriminator = mine;
  good.desired_min_tx_us = 20000;
  good.required_min_rx_us = 20000;
  auto bytes = encode(good);

  forge("127.0.0.2", bytes, 254);  // one hop away: GTSM says no
  forge("127.0.0.3", bytes);       // a valid discriminator from another address
  ControlPacket stranger = good;
  stranger.your_discriminator = mine + 1;
  forge("127.0.0.2", encode(stranger));
  ControlPacket hello = good;
  hello.state = State::Down;
  hello.your_discriminator = 0;
  forge("127.0.0.3", encode(hello));  // nobody's neighbour
  std::vector<std::uint8_t> authed(bytes.begin(), bytes.end());
  authed[1] |= 0x04;
  authed[3] = 28;
  authed.insert(authed.end(), {1, 4, 1, 0});
  forge("127.0.0.2", authed);
  forge("127.0.0.2", std::span(bytes.data(), 10));
  std::vector<std::uint8_t> huge(600, 0x20);
  forge("127.0.0.2", huge);

  const std::pair<DropReason, std::uint64_t> want[] = {
      {DropReason::BadTtl, 1},          {DropReason::WrongSource, 1}, {DropReason::UnknownDiscr, 1},
      {DropReason::UnknownNeighbor, 1}, {DropReason::AuthPresent, 1}, {DropReason::TooShort, 1},
      {DropReason::BadLength, 1},
  };
  ASSERT_TRUE(runUntil([&] { return a->drops(DropReason::BadLength) == 1; }));
  for (const auto& [reason, n] : want) {
    EXPECT_EQ(a->drops(reason), n) << dropReasonName(reason);
  }
  EXPECT_EQ(stateOf(*a), State::Up);  // none of it touched the session
  EXPECT_NE(a->statsText().find("bad_ttl = 1"), std::string::npos);
}

TEST_F(BfdEngineTest, ReloadKeepsTheSessionAndPollsForNewTimers) {
  auto a = engine("127.0.0.1", "127.0.0.2", "to_b");
  auto b = engine("127.0.0.2", "127.0.0.1", "to_a");
  a->start();
  b->start();
  ASSERT_TRUE(runUntil([&] { return stateOf(*a) == State::Up && stateOf(*b) == State::Up; }));
  model::BfdInstance slower = instance("to_b", "127.0.0.1", "127.0.0.2");
  slower.min_tx = milliseconds(40);
  a->reload({slower});
  EXPECT_EQ(stateOf(*a), State::Up);
  ASSERT_TRUE(runUntil([&] { return b->sessions().at(0).detect_time == milliseconds(120); }));
  EXPECT_EQ(a->sessions().at(0).tx_interval, milliseconds(40));
  EXPECT_EQ(stateOf(*b), State::Up);

  a->reload({});  // removed: AdminDown to the neighbour
  ASSERT_TRUE(runUntil([&] { return stateOf(*b) == State::Down; }));
  EXPECT_TRUE(a->sessions().empty());
}

TEST_F(BfdEngineTest, AThreadOfItsOwnPostsEventsToTheSubscribersLoop) {
  auto b = engine("127.0.0.2", "127.0.0.1", "to_a");
  b->start();
  ThreadOptions o;
  o.engine.port = port_;
  o.engine.listen_v4 = ip("127.0.0.1");
  auto t = EngineThread::start({instance("to_b", "127.0.0.1", "127.0.0.2")}, o);
  ASSERT_TRUE(t) << t.error().str();
  std::vector<SessionEvent> heard;
  auto sub = (*t)->events().subscribe(*loop_, [&](const SessionEvent& e) { heard.push_back(e); });
  ASSERT_TRUE(runUntil([&] { return !heard.empty() && heard.back().up(); }));
  EXPECT_NE((*t)->statsText().find("State = Up"), std::string::npos);
  sub.reset();
  const std::size_t n = heard.size();
  t->reset();  // AdminDown on the way out
  ASSERT_TRUE(runUntil([&] { return stateOf(*b) == State::Down; }));
  EXPECT_EQ(b->sessions().at(0).remote_state, State::AdminDown);
  EXPECT_EQ(heard.size(), n);  // an ended subscription hears nothing more
}

TEST_F(BfdEngineTest, ATakenPortIsAnError) {
  auto a = engine("127.0.0.1", "127.0.0.2", "to_b");
  EngineOptions o;
  o.port = port_;
  o.listen_v4 = ip("127.0.0.1");
  auto again = Engine::create(*loop_, {instance("x", "127.0.0.1", "127.0.0.2")}, o);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().str().find("cannot bind the BFD port"), std::string::npos);
}

}  // namespace
}  // namespace keel::bfd
