#include "check/ping_probe.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The RFC 1071 sum of a correct ICMPv4 message is 0xffff (the checksum then verifies as zero).
std::uint16_t foldedSum(const Bytes& b) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    sum += static_cast<std::uint32_t>(b[i] << 8 | (i + 1 < b.size() ? b[i + 1] : 0));
  }
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

Bytes reply(bool v6, std::uint16_t id, std::uint16_t seq) {
  Bytes b = encodeEchoRequest(v6, id, seq, Bytes{1, 2, 3});
  b[0] = v6 ? 129 : 0;
  return b;
}

Bytes withIpv4Header(const Bytes& icmp, int ihl_words = 5) {
  Bytes b(static_cast<std::size_t>(ihl_words) * 4, 0);
  b[0] = static_cast<std::uint8_t>(0x40 | ihl_words);
  b.insert(b.end(), icmp.begin(), icmp.end());
  return b;
}

TEST(EncodeEchoRequest, Ipv4HasAValidChecksum) {
  const Bytes odd{1, 2, 3, 4, 5};
  const Bytes b = encodeEchoRequest(false, 0x1234, 0xabcd, odd);
  ASSERT_EQ(b.size(), 13U);
  EXPECT_EQ(b[0], 8);
  EXPECT_EQ(b[1], 0);
  EXPECT_EQ(b[4], 0x12);
  EXPECT_EQ(b[5], 0x34);
  EXPECT_EQ(b[6], 0xab);
  EXPECT_EQ(b[7], 0xcd);
  EXPECT_EQ(foldedSum(b), 0xffff);
}

TEST(EncodeEchoRequest, Ipv6LeavesTheChecksumToTheKernel) {
  const Bytes b = encodeEchoRequest(true, 1, 2, Bytes{});
  EXPECT_EQ(b, (Bytes{128, 0, 0, 0, 0, 1, 0, 2}));
}

TEST(JudgeEchoReply, MatchesIdAndSequence) {
  EXPECT_TRUE(judgeEchoReply(reply(false, 7, 9), false, false, 7, 9).match);
  EXPECT_TRUE(judgeEchoReply(reply(true, 7, 9), true, false, 7, 9).match);
  EXPECT_EQ(judgeEchoReply(reply(false, 8, 9), false, false, 7, 9).reason,
            "echo reply with another identifier");
  EXPECT_EQ(judgeEchoReply(reply(false, 7, 8), false, false, 7, 9).reason,
            "echo reply with another sequence number");
  EXPECT_FALSE(judgeEchoReply(reply(true, 7, 9), false, false, 7, 9).match);  // type 129 in v4
  EXPECT_EQ(judgeEchoReply(encodeEchoRequest(false, 7, 9, Bytes{}), false, false, 7, 9).reason,
            "ICMP packet of type 8");
}

TEST(JudgeEchoReply, SkipsTheIpv4HeaderOfRawSockets) {
  EXPECT_TRUE(judgeEchoReply(withIpv4Header(reply(false, 7, 9)), false, true, 7, 9).match);
  EXPECT_TRUE(judgeEchoReply(withIpv4Header(reply(false, 7, 9), 7), false, true, 7, 9).match);
  Bytes bad_ihl = withIpv4Header(reply(false, 7, 9));
  bad_ihl[0] = 0x44;
  EXPECT_EQ(judgeEchoReply(bad_ihl, false, true, 7, 9).reason, "bad IPv4 header length");
  Bytes huge_ihl = withIpv4Header(Bytes{});
  huge_ihl[0] = 0x4f;
  EXPECT_EQ(judgeEchoReply(huge_ihl, false, true, 7, 9).reason, "bad IPv4 header length");
  EXPECT_EQ(judgeEchoReply(reply(false, 7, 9), false, true, 7, 9).reason, "not an IPv4 packet");
}

TEST(JudgeEchoReply, ShortAndRandomPacketsAreSkipped) {
  EXPECT_EQ(judgeEchoReply(Bytes{0, 0, 0}, false, false, 7, 9).reason,
            "short ICMP packet of 3 bytes");
  EXPECT_FALSE(judgeEchoReply({}, true, false, 7, 9).match);
  EXPECT_FALSE(judgeEchoReply({}, false, true, 7, 9).match);
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 64);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const EchoVerdict v = judgeEchoReply(b, i % 2 == 0, i % 3 == 0, 0x0707, 0x0909);
    EXPECT_TRUE(v.match || !v.reason.empty());
  }
}

std::optional<ProbeResult> ping(testing::ProbeLoop& t, const base::IpAddress& address,
                                base::Duration budget, bool* raw = nullptr) {
  PingProbe probe(t.loop(), testing::targetFor(base::Endpoint(address, 0)));
  auto r = t.run(probe, budget);
  if (raw) *raw = probe.usedRawSocket();
  return r;
}

TEST(PingProbe, Loopback) {
  testing::ProbeLoop t;
  for (const char* text : {"127.0.0.1", "::1"}) {
    auto address = std::string(text) == "::1" ? base::IpAddress::parseV6(text)
                                              : base::IpAddress::parseV4(text);
    ASSERT_TRUE(address);
    PingProbe probe(t.loop(), testing::targetFor(base::Endpoint(*address, 0)));
    // Two attempts with the same probe: the second must match its own sequence number.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto r = t.run(probe, seconds(5));
      ASSERT_TRUE(r);
      EXPECT_TRUE(r->ok) << text << ": " << r->reason;
      EXPECT_LT(t.elapsed, seconds(2));
    }
  }
}

// Runs `body` on a thread of its own in a fresh, unnamed network namespace (gone when the thread
// ends), with lo up. Needs CAP_SYS_ADMIN and CAP_NET_ADMIN.
bool inPrivateNetns(const std::function<void()>& body, std::string& why) {
  bool ran = false;
  std::thread thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      why = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    base::UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return;
    ran = true;
    body();
  });
  thread.join();
  return ran;
}

bool writeSysctl(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value << "\n";
  f.flush();
  return static_cast<bool>(f);
}

TEST(PingProbe, UnprivilegedDatagramSocketWhenPingGroupRangeAllows) {
  std::string why;
  const bool ran = inPrivateNetns(
      [] {
        const std::string gid = std::to_string(::getegid());
        ASSERT_TRUE(writeSysctl("/proc/sys/net/ipv4/ping_group_range", gid + " " + gid));
        testing::ProbeLoop t;
        for (const char* text : {"127.0.0.1", "::1"}) {
          auto address = std::string(text) == "::1" ? base::IpAddress::parseV6(text)
                                                    : base::IpAddress::parseV4(text);
          bool raw = true;
          auto r = ping(t, *address, seconds(5), &raw);
          ASSERT_TRUE(r);
          EXPECT_TRUE(r->ok) << text << ": " << r->reason;
          EXPECT_FALSE(raw) << text;
        }
      },
      why);
  if (!ran) GTEST_SKIP() << "no private network namespace: " << why;
}

TEST(PingProbe, NoReplyFailsAtTheDeadline) {
  std::string why;
  const bool ran = inPrivateNetns(
      [] {
        ASSERT_TRUE(writeSysctl("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"));
        ASSERT_TRUE(writeSysctl("/proc/sys/net/ipv6/icmp/echo_ignore_all", "1"));
        testing::ProbeLoop t;
        for (const char* text : {"127.0.0.1", "::1"}) {
          auto address = std::string(text) == "::1" ? base::IpAddress::parseV6(text)
                                                    : base::IpAddress::parseV4(text);
          const auto budget = milliseconds(300);
          auto r = ping(t, *address, budget);
          ASSERT_TRUE(r);
          EXPECT_FALSE(r->ok) << text;
          EXPECT_EQ(r->reason.rfind("no echo reply", 0), 0U) << r->reason;
          EXPECT_GE(t.elapsed, budget);
          EXPECT_LE(t.elapsed, budget + testing::kSlack);
        }
      },
      why);
  if (!ran) GTEST_SKIP() << "no private network namespace: " << why;
}

TEST(PingProbe, UnreachableNetworkFailsWithAReason) {
  std::string why;
  const bool ran = inPrivateNetns(
      [] {
        testing::ProbeLoop t;
        // Only lo exists here: 192.0.2.1 (TEST-NET-1) has no route.
        auto r = ping(t, base::IpAddress::parseV4("192.0.2.1").value(), seconds(5));
        ASSERT_TRUE(r);
        EXPECT_FALSE(r->ok);
        EXPECT_NE(r->reason.find("unreachable"), std::string::npos) << r->reason;
        EXPECT_LT(t.elapsed, seconds(2));
      },
      why);
  if (!ran) GTEST_SKIP() << "no private network namespace: " << why;
}

}  // namespace
}  // namespace keel::check
