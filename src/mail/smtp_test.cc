#include "mail/smtp.h"

#include <gtest/gtest.h>

#include <regex>

namespace keel::mail {
namespace {

Envelope envelope() {
  return Envelope{"lb1", "keel@example.org", {"a@example.org", "b@example.org"}};
}

TEST(MailMessageTest, KeepalivedsHeadersThenTheBody) {
  EXPECT_EQ(messageText(envelope(), "[r] VRRP Instance VI_1 - Entering MASTER state",
                        "=> VRRP Instance is now owning VRRP VIPs <=", "DATE"),
            "Date: DATE\r\nFrom: keel@example.org\r\n"
            "Subject: [r] VRRP Instance VI_1 - Entering MASTER state\r\n"
            "X-Mailer: Keepalived\r\nTo: a@example.org, b@example.org\r\n\r\n"
            "=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n");
}

TEST(MailMessageTest, DotsAreStuffedAndLineEndsMadeCrLf) {
  const std::string m = messageText(envelope(), "s", ".\nline\r\n..two\n.", "D");
  EXPECT_NE(m.find("\r\n\r\n..\r\nline\r\n...two\r\n..\r\n\r\n.\r\n"), std::string::npos) << m;
}

TEST(MailMessageTest, AHeaderValueCannotStartAnotherHeader) {
  const std::string m = messageText(envelope(), "x\r\nBcc: evil@example.org", "b", "D");
  EXPECT_NE(m.find("Subject: x  Bcc: evil@example.org\r\n"), std::string::npos) << m;
}

TEST(MailMessageTest, DateIsRfc5322) {
  const base::FakeClock clock;
  EXPECT_TRUE(std::regex_match(
      rfc5322Date(clock.wallNow()),
      std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4})")));
}

// Feeds `replies` one by one and collects what the client sends.
struct Talk {
  std::string sent;
  std::optional<Outcome> done;
};
Talk converse(SmtpDialogue& d, const std::vector<std::string>& replies) {
  Talk r;
  for (const std::string& reply : replies) {
    auto step = d.onData(reply);
    r.sent += step.send;
    if (step.done) {
      r.done = step.done;
      break;
    }
  }
  return r;
}

TEST(SmtpDialogueTest, AWholeMailWithMultiLineRepliesAndTwoRecipients) {
  SmtpDialogue d(envelope(), "MESSAGE");
  Talk r = converse(
      d, {"220-mail.example.org\r\n220 ready\r\n", "250 hello\r\n", "250 ok\r\n", "250 ok\r\n",
          "251 forwarded\r\n", "354 go\r\n", "250 queued\r\n", "221 bye\r\n"});
  EXPECT_EQ(r.sent,
            "HELO lb1\r\nMAIL FROM:<keel@example.org>\r\nRCPT TO:<a@example.org>\r\n"
            "RCPT TO:<b@example.org>\r\nDATA\r\nMESSAGEQUIT\r\n");
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->sent);
}

TEST(SmtpDialogueTest, RepliesSplitAnywhereAreReassembled) {
  SmtpDialogue d(envelope(), "M");
  std::string all = "220 hi\r\n";
  Talk r;
  for (char c : all) r.sent += d.onData(std::string(1, c)).send;
  EXPECT_EQ(r.sent, "HELO lb1\r\n");
}

TEST(SmtpDialogueTest, ARefusedRecipientEndsWithQuitAndAReason) {
  SmtpDialogue d(envelope(), "M");
  Talk r = converse(
      d, {"220 hi\r\n", "250 hello\r\n", "250 ok\r\n", "550 no such user\r\n", "221 bye\r\n"});
  EXPECT_TRUE(r.sent.ends_with("RCPT TO:<a@example.org>\r\nQUIT\r\n")) << r.sent;
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(r.done->sent);
  EXPECT_EQ(r.done->reason, "RCPT TO <a@example.org> refused: 550 no such user");
}

TEST(SmtpDialogueTest, EveryStepChecksItsCode) {
  const std::vector<std::string> good = {"220 a\r\n", "250 b\r\n", "250 c\r\n", "250 d\r\n",
                                         "250 e\r\n", "354 f\r\n", "250 g\r\n"};
  const char* what[] = {
      "greeting", "HELO",       "MAIL FROM", "RCPT TO <a@example.org>", "RCPT TO <b@example.org>",
      "DATA",     "the message"};
  for (std::size_t bad = 0; bad < good.size(); ++bad) {
    SmtpDialogue d(envelope(), "M");
    std::vector<std::string> replies(good.begin(), good.begin() + static_cast<long>(bad));
    replies.push_back("451 try later\r\n");
    replies.push_back("221 bye\r\n");
    Talk r = converse(d, replies);
    ASSERT_TRUE(r.done) << bad;
    EXPECT_FALSE(r.done->sent);
    EXPECT_EQ(r.done->reason, std::string(what[bad]) + " refused: 451 try later");
  }
}

TEST(SmtpDialogueTest, HostileServersFailTheMailNotTheProcess) {
  SmtpDialogue garbage(envelope(), "M");
  auto g = garbage.onData("hello there\r\n");
  ASSERT_TRUE(g.done);
  EXPECT_EQ(g.done->reason, "a malformed reply \"hello there\"");

  SmtpDialogue longline(envelope(), "M");
  auto l = longline.onData("220 " + std::string(600, 'x'));
  ASSERT_TRUE(l.done);
  EXPECT_EQ(l.done->reason, "a reply line longer than 512 bytes");

  SmtpDialogue many(envelope(), "M");
  std::string lines;
  for (int i = 0; i < 70; ++i) lines += "220-x\r\n";
  EXPECT_EQ(many.onData(lines).done->reason, "a reply of too many lines");

  SmtpDialogue closed(envelope(), "M");
  (void)closed.onData("220 hi\r\n");
  EXPECT_EQ(closed.onClosed().done->reason, "the server closed the connection (waiting for HELO)");
}

TEST(SmtpDialogueTest, AServerThatHangsUpInsteadOfAnsweringQuitStillDelivered) {
  SmtpDialogue d(envelope(), "M");
  Talk r = converse(d, {"220 a\r\n", "250 b\r\n", "250 c\r\n", "250 d\r\n", "250 e\r\n",
                        "354 f\r\n", "250 g\r\n"});
  EXPECT_FALSE(r.done);
  auto end = d.onClosed();
  ASSERT_TRUE(end.done);
  EXPECT_TRUE(end.done->sent);
}

}  // namespace
}  // namespace keel::mail
