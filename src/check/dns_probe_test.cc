#include "check/dns_probe.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;
using std::chrono::seconds;

Bytes query(std::uint16_t id, std::string_view name, std::uint16_t type = 6) {
  auto q = encodeDnsQuery(id, name, type);
  EXPECT_TRUE(q) << q.error().str();
  return q ? *q : Bytes{};
}

// The query turned into a reply: QR set, RCODE `rcode`.
Bytes replyTo(Bytes q, int rcode = 0) {
  q[2] |= 0x80;
  q[3] = static_cast<std::uint8_t>((q[3] & 0xf0) | rcode);
  return q;
}

DnsVerdict::Kind kind(const Bytes& q, const Bytes& r) { return judgeDnsReply(q, r).kind; }

TEST(DnsTypeCode, KnowsKeepalivedsTypes) {
  EXPECT_EQ(dnsTypeCode("A").value(), 1);
  EXPECT_EQ(dnsTypeCode("ns").value(), 2);
  EXPECT_EQ(dnsTypeCode("CNAME").value(), 5);
  EXPECT_EQ(dnsTypeCode("soa").value(), 6);
  EXPECT_EQ(dnsTypeCode("MX").value(), 15);
  EXPECT_EQ(dnsTypeCode("TXT").value(), 16);
  EXPECT_EQ(dnsTypeCode("AAAA").value(), 28);
  EXPECT_FALSE(dnsTypeCode("PTR"));
  EXPECT_FALSE(dnsTypeCode(""));
}

TEST(EncodeDnsQuery, RootSoaQuery) {
  const Bytes want{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1};
  EXPECT_EQ(query(0x1234, "."), want);
  EXPECT_EQ(query(0x1234, ""), want);
}

TEST(EncodeDnsQuery, LabelsWithOrWithoutTrailingDot) {
  const Bytes want{0xab, 0xcd, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0, 3, 'w', 'w', 'w', 7,
                   'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 28,  0,   1};
  EXPECT_EQ(query(0xabcd, "www.example.com", 28), want);
  EXPECT_EQ(query(0xabcd, "www.example.com.", 28), want);
}

TEST(EncodeDnsQuery, RejectsBadNames) {
  EXPECT_FALSE(encodeDnsQuery(1, "a..b", 1));
  EXPECT_FALSE(encodeDnsQuery(1, ".a", 1));
  EXPECT_FALSE(encodeDnsQuery(1, "a..", 1));
  EXPECT_FALSE(encodeDnsQuery(1, std::string(64, 'a'), 1));
  EXPECT_TRUE(encodeDnsQuery(1, std::string(63, 'a'), 1));
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_FALSE(encodeDnsQuery(1, long_name, 1));  // 256 octets on the wire
}

TEST(JudgeDnsReply, EchoedQuestionWithoutAnswersIsSuccess) {
  const Bytes q = query(7, "example.org");
  EXPECT_EQ(kind(q, replyTo(q)), DnsVerdict::Kind::Accept);
}

TEST(JudgeDnsReply, QuestionEchoIsCaseInsensitive) {
  const Bytes q = query(7, "example.org");
  Bytes r = replyTo(q);
  r[13] = 'E';
  EXPECT_EQ(kind(q, r), DnsVerdict::Kind::Accept);
}

TEST(JudgeDnsReply, StrayDatagramsAreSkipped) {
  const Bytes q = query(7, "example.org");
  EXPECT_EQ(kind(q, Bytes(11, 0)), DnsVerdict::Kind::Skip);
  EXPECT_EQ(kind(q, {}), DnsVerdict::Kind::Skip);
  EXPECT_EQ(kind(q, replyTo(query(8, "example.org"))), DnsVerdict::Kind::Skip);
  const DnsVerdict not_reply = judgeDnsReply(q, q);
  EXPECT_EQ(not_reply.kind, DnsVerdict::Kind::Skip);
  EXPECT_NE(not_reply.reason.find("QR"), std::string::npos);
}

TEST(JudgeDnsReply, ErrorRcodeFails) {
  const Bytes q = query(7, "example.org");
  const DnsVerdict v = judgeDnsReply(q, replyTo(q, 3));
  EXPECT_EQ(v.kind, DnsVerdict::Kind::Reject);
  EXPECT_EQ(v.reason, "reply rcode 3 NXDOMAIN");
  EXPECT_EQ(kind(q, replyTo(q, 2)), DnsVerdict::Kind::Reject);
  EXPECT_EQ(kind(q, replyTo(q, 15)), DnsVerdict::Kind::Reject);
}

TEST(JudgeDnsReply, HeaderOnlyReplyIsAccepted) {
  const Bytes q = query(7, "example.org");
  const Bytes full = replyTo(q);
  Bytes r(full.begin(), full.begin() + 12);
  r[5] = 0;  // QDCOUNT 0
  EXPECT_EQ(kind(q, r), DnsVerdict::Kind::Accept);
}

TEST(JudgeDnsReply, AnotherQuestionFails) {
  const Bytes q = query(7, "example.org");
  EXPECT_EQ(kind(q, replyTo(query(7, "example.net"))), DnsVerdict::Kind::Reject);
  EXPECT_EQ(kind(q, replyTo(query(7, "example.org", 1))), DnsVerdict::Kind::Reject);
  EXPECT_EQ(kind(q, replyTo(query(7, "org"))), DnsVerdict::Kind::Reject);
}

TEST(JudgeDnsReply, MalformedQuestionsFailWithAReason) {
  const Bytes q = query(7, "example.org");
  const Bytes full = replyTo(q);
  const Bytes header(full.begin(), full.begin() + 12);
  auto with = [&](Bytes tail) {
    Bytes r = header;
    r.insert(r.end(), tail.begin(), tail.end());
    return judgeDnsReply(q, r);
  };
  // A pointer to itself, a pointer forward, and a two-pointer cycle.
  EXPECT_EQ(with({0xc0, 12, 0, 6, 0, 1}).reason,
            "malformed question in reply: compression pointer loop");
  EXPECT_EQ(with({0xc0, 20, 0, 6, 0, 1, 0, 0, 0}).kind, DnsVerdict::Kind::Reject);
  EXPECT_EQ(with({1, 'a', 0xc0, 12}).kind, DnsVerdict::Kind::Reject);
  EXPECT_EQ(with({0xc0}).kind, DnsVerdict::Kind::Reject);          // truncated pointer
  EXPECT_EQ(with({7, 'e', 'x'}).kind, DnsVerdict::Kind::Reject);   // label past the end
  EXPECT_EQ(with({0x40, 'a', 0}).kind, DnsVerdict::Kind::Reject);  // reserved label type
  EXPECT_EQ(with({}).kind, DnsVerdict::Kind::Reject);              // QDCOUNT 1, nothing
  EXPECT_EQ(with({7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 6}).kind,
            DnsVerdict::Kind::Reject);  // type and class cut short
  Bytes long_name;
  for (int i = 0; i < 100; ++i) long_name.insert(long_name.end(), {3, 'a', 'b', 'c'});
  long_name.push_back(0);
  EXPECT_EQ(with(long_name).reason, "malformed question in reply: name too long");
}

TEST(JudgeDnsReply, BackwardPointerIntoTheHeaderIsBounded) {
  const Bytes q = query(7, "example.org");
  const Bytes full = replyTo(q);
  Bytes r(full.begin(), full.begin() + 12);
  r.insert(r.end(), {0xc0, 0x02, 0, 6, 0, 1});
  EXPECT_EQ(kind(q, r), DnsVerdict::Kind::Reject);
}

TEST(JudgeDnsReply, RandomRepliesNeverCrash) {
  const Bytes q = query(0x4242, "a.example.org");
  std::mt19937 rng(1);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes r(rng() % 80);
    for (auto& b : r) b = static_cast<std::uint8_t>(rng());
    if (r.size() >= 4) {
      r[0] = 0x42;
      r[1] = 0x42;
      r[2] |= 0x80;
      r[3] &= 0xf0;
    }
    if (judgeDnsReply(q, r).kind == DnsVerdict::Kind::Accept) ++accepted;
  }
  EXPECT_LT(accepted, 20000);
}

class DnsProbeTest : public ::testing::Test {
 protected:
  std::optional<ProbeResult> run(const base::Endpoint& ep, base::Duration budget = seconds(5),
                                 model::DnsCheck check = {}) {
    DnsProbe probe(t_.loop(), testing::targetFor(ep), std::move(check));
    return t_.run(probe, budget);
  }
  testing::ProbeLoop t_;
  const base::IpAddress lo4_ = base::IpAddress::v4(0x7f000001);
};

TEST_F(DnsProbeTest, AnsweredQueryIsSuccess) {
  Bytes seen;
  testing::UdpResponder dns(t_.loop(), lo4_, [&](std::span<const std::uint8_t> q) {
    seen.assign(q.begin(), q.end());
    return std::vector<Bytes>{replyTo(Bytes(q.begin(), q.end()))};
  });
  auto r = run(dns.endpoint(), seconds(5), {.type = "MX", .name = "example.com"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  ASSERT_GE(seen.size(), 12U);
  Bytes want = query(static_cast<std::uint16_t>(seen[0] << 8 | seen[1]), "example.com", 15);
  EXPECT_EQ(seen, want);
}

TEST_F(DnsProbeTest, WorksOverIpv6) {
  testing::UdpResponder dns(t_.loop(), base::IpAddress::parseV6("::1").value(),
                            [](std::span<const std::uint8_t> q) {
                              return std::vector<Bytes>{replyTo(Bytes(q.begin(), q.end()))};
                            });
  auto r = run(dns.endpoint());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
}

TEST_F(DnsProbeTest, ErrorRcodeFails) {
  testing::UdpResponder dns(t_.loop(), lo4_, [](std::span<const std::uint8_t> q) {
    return std::vector<Bytes>{replyTo(Bytes(q.begin(), q.end()), 5)};
  });
  auto r = run(dns.endpoint());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "reply rcode 5 REFUSED");
}

TEST_F(DnsProbeTest, StrayRepliesAreSkippedUntilTheRealOne) {
  testing::UdpResponder dns(t_.loop(), lo4_, [](std::span<const std::uint8_t> q) {
    Bytes wrong_id = replyTo(Bytes(q.begin(), q.end()));
    wrong_id[0] ^= 0xff;
    return std::vector<Bytes>{Bytes{1, 2, 3}, wrong_id, Bytes(q.begin(), q.end()),
                              replyTo(Bytes(q.begin(), q.end()))};
  });
  auto r = run(dns.endpoint());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
}

TEST_F(DnsProbeTest, OnlyStrayRepliesFailAtTheDeadline) {
  testing::UdpResponder dns(t_.loop(), lo4_, [](std::span<const std::uint8_t> q) {
    Bytes wrong_id = replyTo(Bytes(q.begin(), q.end()));
    wrong_id[1] ^= 0x01;
    return std::vector<Bytes>{wrong_id};
  });
  const auto budget = milliseconds(400);
  auto r = run(dns.endpoint(), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "read timeout; reply with another id");
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(DnsProbeTest, CompressionLoopFails) {
  testing::UdpResponder dns(t_.loop(), lo4_, [](std::span<const std::uint8_t> q) {
    Bytes r = replyTo(Bytes(q.begin(), q.begin() + 12));
    r.insert(r.end(), {0xc0, 12, 0, 6, 0, 1});
    return std::vector<Bytes>{r};
  });
  auto r = run(dns.endpoint());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "malformed question in reply: compression pointer loop");
}

TEST_F(DnsProbeTest, SilentServerFailsAtTheDeadline) {
  testing::UdpResponder dns(t_.loop(), lo4_,
                            [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
  const auto budget = milliseconds(400);
  auto r = run(dns.endpoint(), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "read timeout");
  EXPECT_EQ(dns.received, 1);
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(DnsProbeTest, ClosedPortFailsBeforeTheDeadline) {
  base::Endpoint closed;
  {
    testing::UdpResponder gone(t_.loop(), lo4_,
                               [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
    closed = gone.endpoint();
  }
  auto r = run(closed, seconds(10));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason.find("Connection refused"), std::string::npos) << r->reason;
  EXPECT_LT(t_.elapsed, seconds(5));
}

TEST_F(DnsProbeTest, BadConfiguredNameFailsWithoutSending) {
  testing::UdpResponder dns(t_.loop(), lo4_,
                            [](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; });
  auto r = run(dns.endpoint(), seconds(5), {.type = "SOA", .name = "a..b"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(dns.received, 0);
}

}  // namespace
}  // namespace keel::check
