#include "net/rtnetlink.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/netns_test_util.h"
#include "net/rtnetlink_internal.h"

namespace keel::net {
namespace {

bool hasAddress(Rtnetlink& nl, int index, const base::Prefix& p) {
  auto all = nl.addresses(AF_UNSPEC);
  EXPECT_TRUE(all) << all.error().str();
  return all && std::any_of(all->begin(), all->end(), [&](const AddressEntry& a) {
           return a.index == index && a.prefix == p;
         });
}

TEST(RtnetlinkTest, AddsAndRemovesAddressesIdempotently) {
  KEEL_REQUIRE_OWN_NETNS();
  auto nl = Rtnetlink::open(false);
  ASSERT_TRUE(nl) << nl.error().str();
  auto lo = nl->link("lo");
  ASSERT_TRUE(lo) << lo.error().str();
  EXPECT_TRUE(lo->loopback);
  EXPECT_EQ(nl->link("keel-none").error().code, base::ErrorCode::NotFound);
  const auto vip = *base::Prefix::parse("198.18.0.100/32");
  bool existed = true;
  ASSERT_TRUE(nl->addAddress(lo->index, vip, "lo:vip", &existed));
  EXPECT_FALSE(existed);
  EXPECT_TRUE(hasAddress(*nl, lo->index, vip));
  ASSERT_TRUE(nl->addAddress(lo->index, vip, {}, &existed));
  EXPECT_TRUE(existed);
  bool absent = true;
  ASSERT_TRUE(nl->deleteAddress(lo->index, vip, &absent));
  EXPECT_FALSE(absent);
  EXPECT_FALSE(hasAddress(*nl, lo->index, vip));
  ASSERT_TRUE(nl->deleteAddress(lo->index, vip, &absent));
  EXPECT_TRUE(absent);
}

TEST(RtnetlinkTest, Ipv6AddressesAndErrors) {
  KEEL_REQUIRE_OWN_NETNS();
  auto nl = Rtnetlink::open(false);
  ASSERT_TRUE(nl);
  auto lo = nl->link("lo");
  ASSERT_TRUE(lo);
  const auto vip = *base::Prefix::parse("2001:db8::100/128");
  ASSERT_TRUE(nl->addAddress(lo->index, vip));
  EXPECT_TRUE(hasAddress(*nl, lo->index, vip));
  ASSERT_TRUE(nl->deleteAddress(lo->index, vip));
  auto bad = nl->addAddress(999999, *base::Prefix::parse("198.18.0.1/32"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, base::ErrorCode::System);
  EXPECT_NE(bad.error().message.find("cannot add 198.18.0.1/32"), std::string::npos);
}

TEST(RtnetlinkTest, SetsLinksUpAndDown) {
  KEEL_REQUIRE_OWN_NETNS();
  auto nl = Rtnetlink::open(true);
  ASSERT_TRUE(nl);
  auto lo = nl->link("lo");
  ASSERT_TRUE(lo);
  ASSERT_TRUE(nl->setLinkUp(lo->index, true));
  EXPECT_TRUE(nl->link("lo")->up);
  ASSERT_TRUE(nl->setLinkUp(lo->index, false));
  EXPECT_FALSE(nl->link("lo")->up);
  bool saw_down = false;
  ASSERT_TRUE(nl->readEvents([&](const NetEvent& e) {
    if (e.kind == NetEvent::Kind::LinkChanged && e.link.name == "lo" && !e.link.up) {
      saw_down = true;
    }
  }));
  EXPECT_TRUE(saw_down);
  ASSERT_TRUE(nl->setLinkUp(lo->index, true));
}

TEST(RtnetlinkTest, ReportsAddressAndLinkEvents) {
  KEEL_REQUIRE_OWN_NETNS();
  auto nl = Rtnetlink::open(true);
  ASSERT_TRUE(nl);
  ASSERT_GE(nl->eventFd(), 0);
  auto lo = nl->link("lo");
  ASSERT_TRUE(lo);
  const auto vip = *base::Prefix::parse("198.18.0.101/32");
  ASSERT_TRUE(nl->addAddress(lo->index, vip));
  ASSERT_TRUE(nl->deleteAddress(lo->index, vip));
  std::vector<NetEvent::Kind> kinds;
  ASSERT_TRUE(nl->readEvents([&](const NetEvent& e) {
    if (e.address.prefix == vip) kinds.push_back(e.kind);
  }));
  EXPECT_EQ(kinds, (std::vector<NetEvent::Kind>{NetEvent::Kind::AddressAdded,
                                                NetEvent::Kind::AddressRemoved}));
}

// A script keeld runs must not inherit either socket: it could read keeld's answers (and so stall
// its requests) or drain its link events.
TEST(RtnetlinkTest, SocketsAreCloseOnExec) {
  auto nl = Rtnetlink::open(true);
  ASSERT_TRUE(nl) << nl.error().str();
  for (int fd : {nl->requestFd(), nl->eventFd()}) {
    const int flags = ::fcntl(fd, F_GETFD);
    ASSERT_GE(flags, 0);
    EXPECT_TRUE(flags & FD_CLOEXEC) << "fd " << fd;
  }
}

// A request the kernel does not answer (an NLMSG_NOOP without NLM_F_ACK) ends in an error after
// the socket's timeout instead of blocking its thread: what a request whose answer someone else
// read looks like.
TEST(RtnetlinkTest, RequestWithoutAnswerIsAnErrorNotAStall) {
  auto nl = Rtnetlink::open(false, false, std::chrono::milliseconds(20));
  ASSERT_TRUE(nl) << nl.error().str();
  std::vector<char> buf;
  nl::putHeader(buf, NLMSG_NOOP, NLM_F_REQUEST, 7);
  int answers = 0;
  auto done = nl::transact(nl->requestFd(), buf, [&](const void*) {
    ++answers;
    return MNL_CB_OK;
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().sys_errno, ETIMEDOUT);
  EXPECT_EQ(answers, 0);
  // The socket still serves the next request.
  auto links = nl->links();
  ASSERT_TRUE(links) << links.error().str();
  EXPECT_FALSE(links->empty());
}

}  // namespace
}  // namespace keel::net
