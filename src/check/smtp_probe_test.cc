#include "check/smtp_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Feeds `bytes` in chunks of `chunk` and collects what the dialogue sends until it ends.
struct Fed {
  std::string sent;
  std::optional<ProbeResult> result;
};
Fed feed(SmtpDialogue& d, std::string_view bytes, std::size_t chunk = 1 << 20) {
  Fed out;
  while (!bytes.empty() && !out.result) {
    const std::string_view part = bytes.substr(0, chunk);
    bytes.remove_prefix(part.size());
    SmtpDialogue::Step s = d.onData(part);
    out.sent += s.send;
    out.result = s.result;
  }
  return out;
}

TEST(SmtpDialogue, GreetingHeloQuit) {
  SmtpDialogue d("checker.example");
  Fed a = feed(d, "220 mx.example ESMTP\r\n");
  EXPECT_EQ(a.sent, "HELO checker.example\r\n");
  EXPECT_FALSE(a.result);
  Fed b = feed(d, "250 mx.example\r\n");
  EXPECT_EQ(b.sent, "QUIT\r\n");
  Fed c = feed(d, "221 bye\r\n");
  ASSERT_TRUE(c.result);
  EXPECT_TRUE(c.result->ok);
}

TEST(SmtpDialogue, ByteByByteAndBareLf) {
  SmtpDialogue d("h");
  Fed a = feed(d, "220 hi\n", 1);
  EXPECT_EQ(a.sent, "HELO h\r\n");
  Fed b = feed(d, "250\r\n", 1);
  EXPECT_EQ(b.sent, "QUIT\r\n");
  Fed c = feed(d, "221 x\r\n", 1);
  ASSERT_TRUE(c.result);
  EXPECT_TRUE(c.result->ok);
}

TEST(SmtpDialogue, MultiLineReplies) {
  SmtpDialogue d("h");
  Fed a = feed(d, "220-first\r\n220-second\r\n220 last\r\n");
  EXPECT_EQ(a.sent, "HELO h\r\n");
  Fed b = feed(d, "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  EXPECT_EQ(b.sent, "QUIT\r\n");
}

TEST(SmtpDialogue, QuitReplyCodeIsNotChecked) {
  SmtpDialogue e("h");
  feed(e, "220 a\r\n");
  feed(e, "250 b\r\n");
  Fed c = feed(e, "500 what\r\n");
  ASSERT_TRUE(c.result);
  EXPECT_TRUE(c.result->ok);
}

TEST(SmtpDialogue, WrongCodesFail) {
  SmtpDialogue d("h");
  Fed a = feed(d, "554 go away\r\n");
  ASSERT_TRUE(a.result);
  EXPECT_FALSE(a.result->ok);
  EXPECT_EQ(a.result->reason, "bad greeting banner (554)");
  SmtpDialogue e("h");
  feed(e, "220 a\r\n");
  Fed b = feed(e, "501 syntax\r\n");
  ASSERT_TRUE(b.result);
  EXPECT_EQ(b.result->reason, "bad HELO response (501)");
}

TEST(SmtpDialogue, GarbageFails) {
  for (std::string_view bad : std::vector<std::string_view>{
           "HTTP/1.1 200 OK\r\n", "22 short\r\n", "220x\r\n", "\r\n", "2200 four digits\r\n",
           "+OK pop3\r\n", std::string_view("22\0 nul\r\n", 9)}) {
    SmtpDialogue d("h");
    Fed f = feed(d, bad);
    ASSERT_TRUE(f.result) << bad;
    EXPECT_FALSE(f.result->ok) << bad;
    EXPECT_EQ(f.result->reason, "malformed reply line while waiting for greeting reply") << bad;
    EXPECT_EQ(f.sent, "") << bad;
  }
}

TEST(SmtpDialogue, DataBeforeOurCommandFails) {
  SmtpDialogue d("h");
  Fed f = feed(d, "220 a\r\n250 b\r\n221 c\r\n");
  ASSERT_TRUE(f.result);
  EXPECT_FALSE(f.result->ok);
  EXPECT_EQ(f.result->reason, "server sent data before our HELO");
}

TEST(SmtpDialogue, LongLinesFail) {
  SmtpDialogue ok("h");
  Fed fits = feed(ok, "220 " + std::string(SmtpDialogue::kMaxLine - 6, 'x') + "\r\n");
  EXPECT_FALSE(fits.result);
  SmtpDialogue d("h");
  Fed f = feed(d, "220 " + std::string(SmtpDialogue::kMaxLine - 5, 'x') + "\r\n");
  ASSERT_TRUE(f.result);
  EXPECT_EQ(f.result->reason, "reply line over 512 bytes while waiting for greeting reply");
  SmtpDialogue never_ends("h");
  Fed g = feed(never_ends, std::string(100000, '2'), 100);
  ASSERT_TRUE(g.result);
  EXPECT_FALSE(g.result->ok);
}

TEST(SmtpDialogue, EndlessMultiLineReplyFails) {
  SmtpDialogue d("h");
  std::string lines;
  for (int i = 0; i < 1000; ++i) lines += "220-more\r\n";
  Fed f = feed(d, lines);
  ASSERT_TRUE(f.result);
  EXPECT_EQ(f.result->reason, "reply of over 64 lines");
}

TEST(SmtpDialogue, CodeChangeInsideAReplyFails) {
  SmtpDialogue d("h");
  Fed f = feed(d, "220-a\r\n250 b\r\n");
  ASSERT_TRUE(f.result);
  EXPECT_EQ(f.result->reason, "multi-line reply changes its code from 220 to 250");
}

TEST(SmtpDialogue, ClosedConnectionFails) {
  SmtpDialogue d("h");
  feed(d, "220 a\r\n");
  SmtpDialogue::Step s = d.onClosed();
  ASSERT_TRUE(s.result);
  EXPECT_EQ(s.result->reason, "connection closed while waiting for HELO reply");
}

TEST(SmtpDialogue, HeloNameCannotInjectCommands) {
  SmtpDialogue d("h\r\nMAIL FROM:<x>");
  Fed f = feed(d, "220 a\r\n");
  ASSERT_TRUE(f.result);
  EXPECT_FALSE(f.result->ok);
  EXPECT_EQ(f.sent, "");
}

// A one-connection SMTP server on the test's loop: sends `greeting` on accept, then answers
// each line the client sends with reply(line); an empty answer sends nothing, "CLOSE" closes.
class SmtpServer {
 public:
  using Reply = std::function<std::string(const std::string&)>;
  SmtpServer(event::Loop& loop, std::string greeting, Reply reply)
      : loop_(loop), greeting_(std::move(greeting)), reply_(std::move(reply)) {
    listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
    EXPECT_EQ(::listen(listen_.get(), 4), 0);
    socklen_t len = sizeof sin;
    ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&sin), &len);
    endpoint_ = base::Endpoint(base::IpAddress::v4(0x7f000001), ntohs(sin.sin_port));
    EXPECT_TRUE(loop_.watch(listen_.get(), EPOLLIN, [this](std::uint32_t) { onAccept(); }));
  }
  ~SmtpServer() {
    loop_.unwatch(listen_.get());
    if (conn_) loop_.unwatch(conn_.get());
  }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  const base::Endpoint& endpoint() const { return endpoint_; }
  std::vector<std::string> lines;
  // Sends `s` on the connection, if there is one.
  void say(const std::string& s) {
    if (s.empty() || !conn_) return;
    EXPECT_EQ(::send(conn_.get(), s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size()));
  }

 private:
  void onAccept() {
    conn_.reset(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!conn_) return;
    say(greeting_);
    EXPECT_TRUE(loop_.watch(conn_.get(), EPOLLIN, [this](std::uint32_t) { onData(); }));
  }
  void onData() {
    char buf[1024];
    const ssize_t n = ::recv(conn_.get(), buf, sizeof buf, 0);
    if (n <= 0) return closeConn();
    partial_.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; conn_ && (nl = partial_.find("\r\n")) != std::string::npos;) {
      lines.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 2);
      const std::string answer = reply_(lines.back());
      if (answer == "CLOSE") return closeConn();
      say(answer);
    }
  }
  void closeConn() {
    loop_.unwatch(conn_.get());
    conn_.reset();
  }

  event::Loop& loop_;
  std::string greeting_;
  Reply reply_;
  base::UniqueFd listen_;
  base::UniqueFd conn_;
  std::string partial_;
  base::Endpoint endpoint_;
};

std::string polite(const std::string& line) {
  if (line.starts_with("HELO ")) return "250 pleased\r\n";
  if (line == "QUIT") return "221 bye\r\n";
  return "500 what\r\n";
}

class SmtpProbeTest : public ::testing::Test {
 protected:
  std::optional<ProbeResult> run(const base::Endpoint& ep, base::Duration budget = seconds(5)) {
    SmtpProbe probe(t_.loop(), testing::targetFor(ep), {});
    return t_.run(probe, budget);
  }
  testing::ProbeLoop t_;
};

TEST_F(SmtpProbeTest, PoliteServerIsUp) {
  SmtpServer server(t_.loop(), "220-mx.example ESMTP\r\n220 ready\r\n", polite);
  auto r = run(server.endpoint());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  EXPECT_EQ(server.lines, (std::vector<std::string>{"HELO smtpchecker.keepalived.org", "QUIT"}));
}

TEST_F(SmtpProbeTest, RefusedGreetingFails) {
  SmtpServer server(t_.loop(), "554 no service\r\n", polite);
  auto r = run(server.endpoint());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "bad greeting banner (554)");
  EXPECT_TRUE(server.lines.empty());
}

TEST_F(SmtpProbeTest, RejectedHeloFails) {
  SmtpServer server(t_.loop(), "220 hi\r\n", [](const std::string&) { return "502 no\r\n"; });
  auto r = run(server.endpoint());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, "bad HELO response (502)");
}

TEST_F(SmtpProbeTest, ServerClosingAfterGreetingFails) {
  SmtpServer server(t_.loop(), "220 hi\r\n", [](const std::string&) { return "CLOSE"; });
  auto r = run(server.endpoint());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "connection closed while waiting for HELO reply");
}

TEST_F(SmtpProbeTest, SilentServerFailsAtTheDeadline) {
  SmtpServer server(t_.loop(), "", polite);
  const auto budget = milliseconds(400);
  auto r = run(server.endpoint(), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "timeout waiting for greeting reply");
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(SmtpProbeTest, DrippingServerFailsAtTheTotalDeadline) {
  // One byte of an endless multi-line greeting every 20 ms: each read makes progress, so only
  // the attempt's deadline ends it.
  SmtpServer server(t_.loop(), "2", polite);
  const std::string drip = "20-more\r\n2";
  std::size_t next = 0;
  base::Timer timer(t_.clock());
  std::function<void()> tick = [&] {
    server.say(std::string(1, drip[next++ % drip.size()]));
    timer.armAfter(milliseconds(20), tick);
  };
  timer.armAfter(milliseconds(20), tick);
  const auto budget = milliseconds(500);
  auto r = run(server.endpoint(), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "timeout waiting for greeting reply");
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
  EXPECT_GT(next, 5U);
}

TEST_F(SmtpProbeTest, GarbageServerFails) {
  SmtpServer server(t_.loop(), "HTTP/1.1 400 Bad Request\r\n\r\n", polite);
  auto r = run(server.endpoint());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "malformed reply line while waiting for greeting reply");
}

TEST_F(SmtpProbeTest, ClosedPortFails) {
  base::Endpoint closed;
  {
    SmtpServer gone(t_.loop(), "", polite);
    closed = gone.endpoint();
  }
  auto r = run(closed, seconds(10));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason.find("Connection refused"), std::string::npos) << r->reason;
  EXPECT_LT(t_.elapsed, seconds(5));
}

}  // namespace
}  // namespace keel::check
