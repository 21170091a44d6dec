#include "dataplane/proxy/relay.h"

#include <gtest/gtest.h>

namespace keel::dataplane::proxy {
namespace {

TEST(Relay, ConnectsThenRelays) {
  Relay r;
  EXPECT_EQ(r.stateName(), "SYN_SENT");
  EXPECT_FALSE(r.readable(Side::Client));
  EXPECT_EQ(r.connected(), RelayAction{});
  EXPECT_TRUE(r.readable(Side::Client));
  EXPECT_TRUE(r.readable(Side::Real));
  EXPECT_TRUE(r.active());
  EXPECT_EQ(r.stateName(), "ESTABLISHED");
}

TEST(Relay, RetriesOnceThenCloses) {
  Relay r(2);
  EXPECT_EQ(r.connectFailed(), RelayAction{.retry = true});
  EXPECT_EQ(r.phase(), Relay::Phase::Connecting);
  EXPECT_EQ(r.connectFailed(), RelayAction{.close = true});
  EXPECT_EQ(r.phase(), Relay::Phase::Closed);
}

TEST(Relay, RetrySucceeds) {
  Relay r(2);
  EXPECT_TRUE(r.connectFailed().retry);
  r.connected();
  EXPECT_EQ(r.phase(), Relay::Phase::Relaying);
}

TEST(Relay, HalfCloseWithNothingPendingShutsTheOtherSideAtOnce) {
  Relay r;
  r.connected();
  EXPECT_EQ(r.readEof(Side::Client, false), RelayAction{.shutdown_write = Side::Real});
  EXPECT_FALSE(r.readable(Side::Client));
  EXPECT_TRUE(r.readable(Side::Real));  // the reply still flows
  EXPECT_FALSE(r.active());
  EXPECT_EQ(r.stateName(), "FIN_WAIT");
  EXPECT_EQ(r.readEof(Side::Real, false),
            (RelayAction{.shutdown_write = Side::Client, .close = true}));
  EXPECT_EQ(r.phase(), Relay::Phase::Closed);
}

TEST(Relay, HalfCloseWaitsForBufferedDataToDrain) {
  Relay r;
  r.connected();
  EXPECT_EQ(r.readEof(Side::Real, true), RelayAction{});
  EXPECT_EQ(r.drained(Side::Real), RelayAction{});  // the real said nothing toward itself
  EXPECT_EQ(r.drained(Side::Client), RelayAction{.shutdown_write = Side::Client});
  EXPECT_EQ(r.drained(Side::Client), RelayAction{});  // shut once
}

TEST(Relay, ErrorClosesFromAnyOpenPhase) {
  Relay connecting;
  EXPECT_EQ(connecting.error(), RelayAction{.close = true});
  Relay relaying;
  relaying.connected();
  relaying.readEof(Side::Client, false);
  EXPECT_EQ(relaying.error(), RelayAction{.close = true});
  EXPECT_EQ(relaying.error(), RelayAction{});  // closed once
  EXPECT_EQ(relaying.stateName(), "CLOSE");
}

TEST(Relay, EventsAfterCloseDoNothing) {
  Relay r(1);
  EXPECT_TRUE(r.connectFailed().close);
  EXPECT_EQ(r.connected(), RelayAction{});
  EXPECT_EQ(r.readEof(Side::Client, false), RelayAction{});
  EXPECT_EQ(r.drained(Side::Real), RelayAction{});
}

}  // namespace
}  // namespace keel::dataplane::proxy
