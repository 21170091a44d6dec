// The Mailer against a scripted SMTP server on loopback, both on one event loop.
#include "mail/sender.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

namespace keel::mail {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Accepts connections and answers each command from a script; records the conversation.
class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(event::Loop& loop) : loop_(loop) {
    listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    EXPECT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_.get(), 8), 0);
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    EXPECT_TRUE(loop_.watch(listen_.get(), EPOLLIN, [this](std::uint32_t) { accept(); }));
  }
  ~FakeSmtpServer() {
    for (auto& [fd, c] : conns_) loop_.unwatch(fd);
    loop_.unwatch(listen_.get());
  }

  std::uint16_t port() const { return port_; }
  // Reply to a command starting with `verb` (HELO, MAIL, RCPT, DATA, QUIT, or "." for the end of
  // a message); unset verbs get 250 (354 for DATA, 221 for QUIT).
  std::map<std::string, std::string> replies;
  std::string greeting = "220 fake ready\r\n";
  bool silent = false;  // accept, say nothing
  std::vector<std::string> commands;
  std::vector<std::string> messages;  // each DATA, without the final ".\r\n"

 private:
  struct Conn {
    base::UniqueFd fd;
    std::string in;
    bool in_data = false;
  };

  void accept() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    conns_[fd].fd.reset(fd);
    EXPECT_TRUE(loop_.watch(fd, EPOLLIN, [this, fd](std::uint32_t) { read(fd); }));
    if (!silent) say(fd, greeting);
  }
  void say(int fd, const std::string& text) {
    EXPECT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
  }
  std::string replyTo(const std::string& verb, const std::string& fallback) {
    auto it = replies.find(verb);
    return it == replies.end() ? fallback : it->second;
  }
  void read(int fd) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      loop_.unwatch(fd);
      conns_.erase(fd);
      return;
    }
    Conn& c = conns_[fd];
    c.in.append(buf, static_cast<std::size_t>(n));
    for (;;) {
      if (c.in_data) {
        const std::size_t end = c.in.find("\r\n.\r\n");
        if (end == std::string::npos) return;
        messages.push_back(c.in.substr(0, end + 2));
        c.in.erase(0, end + 5);
        c.in_data = false;
        say(fd, replyTo(".", "250 queued\r\n"));
        continue;
      }
      const std::size_t eol = c.in.find("\r\n");
      if (eol == std::string::npos) return;
      const std::string line = c.in.substr(0, eol);
      c.in.erase(0, eol + 2);
      commands.push_back(line);
      const std::string verb = line.substr(0, 4);
      if (verb == "DATA") {
        const std::string r = replyTo("DATA", "354 go ahead\r\n");
        c.in_data = r.starts_with("354");
        say(fd, r);
      } else if (verb == "QUIT") {
        say(fd, replyTo("QUIT", "221 bye\r\n"));
      } else {
        say(fd, replyTo(verb, "250 ok\r\n"));
      }
    }
  }

  event::Loop& loop_;
  base::UniqueFd listen_;
  std::uint16_t port_ = 0;
  std::map<int, Conn> conns_;
};

class MailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = event::Loop::create(clock_);
    ASSERT_TRUE(l);
    loop_ = std::move(*l);
    server_ = std::make_unique<FakeSmtpServer>(*loop_);
  }
  MailerOptions options(std::uint16_t port) {
    MailerOptions o;
    o.server = base::Endpoint(*base::IpAddress::parse("127.0.0.1"), port);
    o.envelope = Envelope{"lb1", "keel@example.org", {"ops@example.org"}};
    o.router_id = "LB1";
    o.timeout = milliseconds(300);
    return o;
  }
  bool runUntil(const std::function<bool()>& done, base::Duration limit = seconds(3)) {
    const base::TimePoint end = clock_.now() + limit;
    while (!done() && clock_.now() < end) EXPECT_TRUE(loop_->runOnce(milliseconds(10)));
    return done();
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  std::unique_ptr<FakeSmtpServer> server_;
};

TEST_F(MailerTest, AnAlertArrivesAsKeepalivedWritesIt) {
  auto mailer = Mailer::create(*loop_, options(server_->port()));
  EXPECT_TRUE(mailer->sendAlert(AlertKind::VrrpInstance, {"VI_1", "MASTER", "", ""}));
  ASSERT_TRUE(runUntil([&] { return mailer->stats().sent == 1; }));
  EXPECT_EQ(server_->commands,
            (std::vector<std::string>{"HELO lb1", "MAIL FROM:<keel@example.org>",
                                      "RCPT TO:<ops@example.org>", "DATA", "QUIT"}));
  ASSERT_EQ(server_->messages.size(), 1u);
  const std::string& m = server_->messages[0];
  EXPECT_TRUE(m.starts_with("Date: ")) << m;
  EXPECT_NE(m.find("\r\nFrom: keel@example.org\r\n"
                   "Subject: [LB1] VRRP Instance VI_1 - Entering MASTER state\r\n"
                   "X-Mailer: Keepalived\r\nTo: ops@example.org\r\n\r\n"
                   "=> VRRP Instance is now owning VRRP VIPs <=\r\n"),
            std::string::npos)
      << m;
}

TEST_F(MailerTest, MailsGoOutOneAfterAnotherFromAnyThread) {
  auto mailer = Mailer::create(*loop_, options(server_->port()));
  std::thread other([&] {
    for (int i = 0; i < 5; ++i) mailer->send("s" + std::to_string(i), "b");
  });
  other.join();
  ASSERT_TRUE(runUntil([&] { return mailer->stats().sent == 5; }));
  ASSERT_EQ(server_->messages.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(server_->messages[i].find("Subject: s" + std::to_string(i) + "\r\n"),
              std::string::npos);
  }
}

TEST_F(MailerTest, ARefusalIsCountedAndTheNextMailStillGoes) {
  server_->replies["RCPT"] = "550 no\r\n";
  auto mailer = Mailer::create(*loop_, options(server_->port()));
  mailer->send("a", "b");
  ASSERT_TRUE(runUntil([&] { return mailer->stats().failed == 1; }));
  server_->replies.clear();
  mailer->send("c", "d");
  ASSERT_TRUE(runUntil([&] { return mailer->stats().sent == 1; }));
}

TEST_F(MailerTest, ASilentServerTimesOutAndARefusedConnectFails) {
  server_->silent = true;
  auto mailer = Mailer::create(*loop_, options(server_->port()));
  const base::TimePoint start = clock_.now();
  mailer->send("a", "b");
  ASSERT_TRUE(runUntil([&] { return mailer->stats().failed == 1; }));
  EXPECT_GE(clock_.now() - start, milliseconds(300));  // smtp_connect_timeout, not sooner

  const std::uint16_t closed = server_->port();
  server_.reset();  // nobody listens there now
  auto refused = Mailer::create(*loop_, options(closed));
  refused->send("a", "b");
  ASSERT_TRUE(runUntil([&] { return refused->stats().failed == 1; }));
}

TEST_F(MailerTest, TheQueueIsBoundedAndTheLoopNeverWaits) {
  server_->silent = true;  // the first mail hangs until its timeout
  MailerOptions o = options(server_->port());
  o.timeout = seconds(30);
  auto mailer = Mailer::create(*loop_, o);
  for (std::size_t i = 0; i < Mailer::kQueueLimit + 6; ++i) mailer->send("s", "b");
  ASSERT_TRUE(runUntil([&] { return mailer->stats().dropped == 5; }));
  // One in flight, kQueueLimit waiting, the rest dropped; and the loop still turns at once.
  EXPECT_EQ(mailer->stats().queued, Mailer::kQueueLimit + 1);
  const base::TimePoint before = clock_.now();
  EXPECT_TRUE(loop_->runOnce(milliseconds(0)));
  EXPECT_LT(clock_.now() - before, milliseconds(100));
}

TEST(MailerOptionsTest, MailIsOffWithoutAServerOrRecipientsAndDefaultsAsKeepalived) {
  model::GlobalDefs g;
  EXPECT_EQ(*Mailer::optionsFrom(g), std::nullopt);
  g.smtp_server = "192.0.2.25";
  EXPECT_EQ(*Mailer::optionsFrom(g), std::nullopt);  // nobody to mail
  g.notification_email = {"ops@example.org"};
  auto o = Mailer::optionsFrom(g);
  ASSERT_TRUE(o && *o);
  EXPECT_EQ((*o)->server.str(), "192.0.2.25:25");
  EXPECT_FALSE((*o)->envelope.helo_name.empty());               // the host name
  EXPECT_NE((*o)->envelope.from.find('@'), std::string::npos);  // user@host
  EXPECT_EQ((*o)->router_id, (*o)->envelope.helo_name);
  EXPECT_EQ((*o)->timeout, seconds(30));
  g.smtp_server = "no-such-host.invalid";
  EXPECT_FALSE(Mailer::optionsFrom(g));
}

}  // namespace
}  // namespace keel::mail
