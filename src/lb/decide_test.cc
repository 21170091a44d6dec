#include "lb/decide.h"

#include <gtest/gtest.h>

namespace keel::lb {
namespace {

using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

class DecideTest : public ::testing::Test {
 protected:
  DecideTest() {
    service_.key = {ip("198.18.0.100"), 80, Protocol::Tcp, 0};
    service_.scheduler = "rr";
    service_.persistence_timeout = seconds(50);
    for (const char* r : {"198.18.1.1", "198.18.1.2"}) {
      service_.reals.push_back({{ip(r), 80}, 1, Forwarding::Dr, 0, 0, false});
    }
    dests_ = destsOf(service_);
    scheduler_ = std::move(*makeScheduler("rr"));
    scheduler_->update(dests_);
  }

  Decision decide(const char* client, Micros now, DecideOptions options = {}) {
    Flow flow{ip(client), 40000, service_.key.address, 80, Protocol::Tcp};
    return lb::decide(service_, dests_, *scheduler_, &persistence_, flow, {now, 0}, options);
  }

  Service service_;
  std::vector<Dest> dests_;
  std::unique_ptr<Scheduler> scheduler_;
  PersistenceTable persistence_;
};

TEST_F(DecideTest, AClientSticksToItsFirstRealWhileTheTemplateLives) {
  Decision first = decide("198.18.3.1", seconds(0));
  ASSERT_TRUE(first.dest);
  EXPECT_EQ(first.reason, Decision::Reason::Scheduled);
  ASSERT_TRUE(first.persistence);
  persistence_.connectionEnded(*first.persistence, seconds(1));  // expires at 51 s
  // rr would move on to the other real; the template keeps the client.
  Decision again = decide("198.18.3.1", seconds(40));
  EXPECT_EQ(again.dest, first.dest);
  EXPECT_EQ(again.reason, Decision::Reason::Persistent);
  persistence_.connectionEnded(*again.persistence, seconds(40));  // expires at 90 s
  EXPECT_EQ(decide("198.18.3.1", seconds(89)).reason, Decision::Reason::Persistent);
}

TEST_F(DecideTest, AQuiescedRealKeepsItsPersistentClientsUnlessTemplatesExpire) {
  Decision first = decide("198.18.3.1", seconds(0));
  ASSERT_TRUE(first.dest);
  dests_[*first.dest].weight = 0;
  scheduler_->update(dests_);
  EXPECT_EQ(decide("198.18.3.1", seconds(1)).dest, first.dest);
  Decision moved = decide("198.18.3.1", seconds(2), {.expire_quiescent_template = true});
  ASSERT_TRUE(moved.dest);
  EXPECT_NE(moved.dest, first.dest);
  EXPECT_EQ(moved.reason, Decision::Reason::Scheduled);
}

TEST_F(DecideTest, ARemovedRealIsScheduledAround) {
  Decision first = decide("198.18.3.1", seconds(0));
  ASSERT_TRUE(first.dest);
  dests_.erase(dests_.begin() + static_cast<std::ptrdiff_t>(*first.dest));
  service_.reals.erase(service_.reals.begin() + static_cast<std::ptrdiff_t>(*first.dest));
  scheduler_->update(dests_);
  Decision next = decide("198.18.3.1", seconds(1));
  ASSERT_TRUE(next.dest);
  EXPECT_EQ(next.reason, Decision::Reason::Scheduled);
  EXPECT_EQ(dests_[*next.dest].key, service_.reals[0].key);
}

TEST_F(DecideTest, NoAvailableRealMeansNoDestinationAndNoTemplate) {
  for (Dest& d : dests_) d.weight = 0;
  scheduler_->update(dests_);
  Decision d = decide("198.18.3.1", seconds(0));
  EXPECT_FALSE(d.dest);
  EXPECT_EQ(d.reason, Decision::Reason::NoDestination);
  EXPECT_FALSE(d.persistence);
  EXPECT_EQ(persistence_.size(), 0u);
}

}  // namespace
}  // namespace keel::lb
