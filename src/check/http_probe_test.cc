#include "check/http_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "check/test_http_server.h"

namespace keel::check {
namespace {

using std::chrono::milliseconds;
using testing::TestConnection;
using testing::TestServer;

// Slack over the deadline for the loop to notice it and report, on a noisy machine.
constexpr milliseconds kSlack{500};
constexpr milliseconds kTimeout{800};

struct Outcome {
  bool reported = false;
  ProbeResult result;
  base::Duration elapsed{};
};

class HttpProbeTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = event::Loop::create(clock_).value(); }

  static ProbeTarget target(std::uint16_t port, std::string vhost = "") {
    ProbeTarget t;
    t.endpoint = base::Endpoint(base::IpAddress::v4(0x7f000001), port);
    t.virtualhost = std::move(vhost);
    return t;
  }

  static model::HttpCheck check(std::vector<model::HttpUrl> urls, bool tls = false) {
    model::HttpCheck c;
    c.urls = std::move(urls);
    c.tls = tls;
    return c;
  }

  Outcome run(Probe& probe, base::Duration timeout = kTimeout) {
    Outcome out;
    const base::TimePoint start = clock_.now();
    probe.start(start + timeout, [&](ProbeResult r) {
      out.reported = true;
      out.result = std::move(r);
      out.elapsed = clock_.now() - start;
    });
    EXPECT_FALSE(out.reported) << "reported from inside start()";
    while (!out.reported && clock_.now() < start + timeout + std::chrono::seconds(3)) {
      EXPECT_TRUE(loop_->runOnce(milliseconds(50)));
    }
    EXPECT_TRUE(out.reported);
    EXPECT_LE(out.elapsed, timeout + kSlack);
    return out;
  }

  Outcome runHttp(const TestServer& server, std::vector<model::HttpUrl> urls,
                  HttpLimits limits = {}) {
    HttpProbe probe(*loop_, check(std::move(urls)), target(server.port()), nullptr, limits);
    return run(probe);
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
};

TestServer::Handler reply(std::string response) {
  return [response](TestConnection& c) {
    c.readRequest();
    c.send(response);
  };
}

const std::string kHello = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";

TEST_F(HttpProbeTest, SuccessSendsKeepalivedsRequest) {
  TestServer server(reply(kHello));
  const Outcome o = runHttp(server, {{.path = "/health"}});
  EXPECT_TRUE(o.result.ok) << o.result.reason;
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0],
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: "
            "127.0.0.1:" +
                std::to_string(server.port()) + "\r\n\r\n");
}

TEST_F(HttpProbeTest, RequestTextFollowsProtocolAndVirtualhost) {
  model::HttpCheck c = check({{.path = "/a"}});
  c.http_protocol = "1.1";
  ProbeTarget t = target(80, "checker.example");
  EXPECT_EQ(httpRequest(c, c.urls[0], t),
            "GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
            "checker.example\r\n\r\n");
  c.http_protocol = "1.0C";
  c.urls[0].virtualhost = "url.example";
  EXPECT_EQ(httpRequest(c, c.urls[0], t),
            "GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
            "url.example\r\n\r\n");
  t.virtualhost.clear();
  c.urls[0].virtualhost.clear();
  t.endpoint = base::Endpoint(base::IpAddress::parseV6("2001:db8::1").value(), 8080);
  EXPECT_EQ(httpRequest(c, c.urls[0], t),
            "GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
            "[2001:db8::1]:8080\r\n\r\n");
}

TEST_F(HttpProbeTest, StatusOutsideTheRangesFails) {
  TestServer server(reply("HTTP/1.0 503 Busy\r\n\r\n"));
  const Outcome o = runHttp(server, {{.path = "/"}});
  EXPECT_FALSE(o.result.ok);
  EXPECT_EQ(o.result.reason, "url /: HTTP status code 503");
  const Outcome accepted =
      runHttp(server, {{.path = "/", .status_codes = {{200, 200}, {500, 503}}}});
  EXPECT_TRUE(accepted.result.ok) << accepted.result.reason;
}

TEST_F(HttpProbeTest, DigestMatchesCaseInsensitivelyAndMismatchFails) {
  TestServer server(reply(kHello));
  std::string upper = md5Hex("hello");
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const Outcome match = runHttp(server, {{.path = "/", .digest = upper}});
  EXPECT_TRUE(match.result.ok) << match.result.reason;
  const Outcome wrong = runHttp(server, {{.path = "/", .digest = md5Hex("other")}});
  EXPECT_FALSE(wrong.result.ok);
  EXPECT_EQ(wrong.result.reason, "url /: MD5 digest " + md5Hex("hello") + " does not match");
}

TEST_F(HttpProbeTest, ChunkedBodyDigestIncludesFraming) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  TestServer server(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
  const Outcome o = runHttp(server, {{.path = "/", .digest = md5Hex(body)}});
  EXPECT_TRUE(o.result.ok) << o.result.reason;
}

TEST_F(HttpProbeTest, EveryUrlMustPassEachOnItsOwnConnection) {
  TestServer server([](TestConnection& c) {
    const std::string req = c.readRequest();
    c.send(req.starts_with("GET /bad ") ? "HTTP/1.0 404 No\r\n\r\n" : "HTTP/1.0 200 OK\r\n\r\n");
  });
  const Outcome good = runHttp(server, {{.path = "/a"}, {.path = "/b"}});
  EXPECT_TRUE(good.result.ok) << good.result.reason;
  EXPECT_EQ(server.accepted(), 2);
  const Outcome bad = runHttp(server, {{.path = "/a"}, {.path = "/bad"}, {.path = "/c"}});
  EXPECT_EQ(bad.result.reason, "url /bad: HTTP status code 404");
  EXPECT_EQ(server.accepted(), 4);  // /c was never fetched
}

TEST_F(HttpProbeTest, SlowDripFailsAtTheTotalDeadline) {
  TestServer server([](TestConnection& c) {
    c.readRequest();
    for (const char ch : std::string("HTTP/1.0 200 OK\r\n\r\n")) {
      if (!c.send(std::string(1, ch)) || !c.idle(milliseconds(100))) return;
    }
  });
  const Outcome o = runHttp(server, {{.path = "/"}});
  EXPECT_FALSE(o.result.ok);
  EXPECT_TRUE(o.result.reason.starts_with("url /: timeout reading the response"))
      << o.result.reason;
  EXPECT_GE(o.elapsed, kTimeout);
}

TEST_F(HttpProbeTest, AcceptAndSilenceFailsAtTheDeadline) {
  TestServer server([](TestConnection& c) { c.idle(std::chrono::seconds(10)); });
  const Outcome o = runHttp(server, {{.path = "/"}});
  EXPECT_EQ(o.result.reason, "url /: timeout reading the response (0 bytes received)");
  EXPECT_GE(o.elapsed, kTimeout);
}

TEST_F(HttpProbeTest, ResetMidHeadersFails) {
  TestServer server([](TestConnection& c) {
    c.readRequest();
    c.send("HTTP/1.0 200 OK\r\nServ");
    c.idle(milliseconds(50));
    c.reset();
  });
  const Outcome o = runHttp(server, {{.path = "/"}});
  EXPECT_FALSE(o.result.ok);
  EXPECT_TRUE(o.result.reason.find("reset by peer") != std::string::npos ||
              o.result.reason == "url /: connection closed inside the headers")
      << o.result.reason;
  EXPECT_LT(o.elapsed, kTimeout);
}

TEST_F(HttpProbeTest, MegabyteHeaderLineFailsAtTheCap) {
  TestServer server([](TestConnection& c) {
    c.readRequest();
    c.send("HTTP/1.0 200 OK\r\nX: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  });
  const Outcome o = runHttp(server, {{.path = "/"}});
  EXPECT_EQ(o.result.reason, "url /: header line too long");
  EXPECT_LT(o.elapsed, kTimeout);
}

TEST_F(HttpProbeTest, EndlessBodyStopsAtTheBodyCapOrIsNotReadWithoutDigest) {
  TestServer server([](TestConnection& c) {
    c.readRequest();
    c.send("HTTP/1.0 200 OK\r\n\r\n");
    const std::string block(64 * 1024, 'x');
    while (c.send(block)) {
    }
  });
  HttpLimits limits;
  limits.max_body = 1 << 20;
  const Outcome digest = runHttp(server, {{.path = "/", .digest = md5Hex("x")}}, limits);
  EXPECT_EQ(digest.result.reason, "url /: body too large");
  EXPECT_LT(digest.elapsed, kTimeout);
  const Outcome status = runHttp(server, {{.path = "/"}}, limits);
  EXPECT_TRUE(status.result.ok) << status.result.reason;
}

TEST_F(HttpProbeTest, ConnectionRefusedFails) {
  std::uint16_t port = 0;
  {
    TestServer closed(reply(kHello));
    port = closed.port();
  }
  HttpProbe probe(*loop_, check({{.path = "/"}}), target(port));
  const Outcome o = run(probe);
  EXPECT_FALSE(o.result.ok);
  EXPECT_NE(o.result.reason.find("Connection refused"), std::string::npos) << o.result.reason;
}

TEST_F(HttpProbeTest, CancelSuppressesTheReport) {
  TestServer server([](TestConnection& c) { c.idle(std::chrono::seconds(10)); });
  HttpProbe probe(*loop_, check({{.path = "/"}}), target(server.port()));
  bool reported = false;
  probe.start(clock_.now() + milliseconds(100), [&](const ProbeResult&) { reported = true; });
  EXPECT_TRUE(loop_->runOnce(milliseconds(20)));
  probe.cancel();
  const base::TimePoint until = clock_.now() + milliseconds(300);
  while (clock_.now() < until) EXPECT_TRUE(loop_->runOnce(milliseconds(50)));
  EXPECT_FALSE(reported);
}

TEST_F(HttpProbeTest, TlsWithSelfSignedCertificateAndSni) {
  TestServer server(reply(kHello), testing::selfSignedServerContext());
  model::HttpCheck c = check({{.path = "/", .digest = md5Hex("hello")}}, /*tls=*/true);
  c.enable_sni = true;
  HttpProbe probe(*loop_, c, target(server.port(), "www.example"));
  const Outcome o = run(probe);
  EXPECT_TRUE(o.result.ok) << o.result.reason;
  ASSERT_EQ(server.serverNames().size(), 1U);
  EXPECT_EQ(server.serverNames()[0], "www.example");
  EXPECT_NE(server.requests()[0].find("Host: www.example\r\n"), std::string::npos);
}

TEST_F(HttpProbeTest, TlsWithoutSniSendsNoServerName) {
  TestServer server(reply(kHello), testing::selfSignedServerContext());
  HttpProbe probe(*loop_, check({{.path = "/"}}, true), target(server.port(), "www.example"));
  EXPECT_TRUE(run(probe).result.ok);
  ASSERT_EQ(server.serverNames().size(), 1U);
  EXPECT_EQ(server.serverNames()[0], "");
}

TEST_F(HttpProbeTest, TlsHandshakeThatNeverFinishesFailsAtTheDeadline) {
  TestServer server([](TestConnection& c) { c.idle(std::chrono::seconds(10)); });
  HttpProbe probe(*loop_, check({{.path = "/"}}, true), target(server.port()));
  const Outcome o = run(probe);
  EXPECT_EQ(o.result.reason, "url /: timeout in the TLS handshake");
  EXPECT_GE(o.elapsed, kTimeout);
}

TEST_F(HttpProbeTest, GarbageInsteadOfTlsFailsQuickly) {
  TestServer server([](TestConnection& c) {
    c.idle(milliseconds(20));
    c.send("HTTP/1.0 200 OK\r\n\r\nthis is not TLS at all, just text\r\n");
  });
  HttpProbe probe(*loop_, check({{.path = "/"}}, true), target(server.port()));
  const Outcome o = run(probe);
  EXPECT_FALSE(o.result.ok);
  EXPECT_TRUE(o.result.reason.starts_with("url /: TLS handshake")) << o.result.reason;
  EXPECT_LT(o.elapsed, kTimeout);
}

TEST(StatusAcceptedTest, DefaultIs2xx) {
  EXPECT_TRUE(statusAccepted({}, 200));
  EXPECT_TRUE(statusAccepted({}, 299));
  EXPECT_FALSE(statusAccepted({}, 300));
  EXPECT_FALSE(statusAccepted({}, 199));
  EXPECT_TRUE(statusAccepted({{301, 302}}, 302));
  EXPECT_FALSE(statusAccepted({{301, 302}}, 200));
}

// A body sent in small pieces with pauses, so the match straddles reads on the probe's side.
TestServer::Handler replyInPieces(std::string head, std::string body, std::size_t piece) {
  return [head, body, piece](TestConnection& c) {
    c.readRequest();
    c.send(head);
    for (std::size_t at = 0; at < body.size(); at += piece) {
      if (!c.send(body.substr(at, piece)) || !c.idle(milliseconds(5))) return;
    }
  };
}

model::HttpUrl regexUrl(std::string pattern, bool no_match = false) {
  model::HttpUrl url{.path = "/"};
  url.regex = model::HttpRegex{.pattern = std::move(pattern), .no_match = no_match};
  return url;
}

TEST_F(HttpProbeTest, RegexMustMatchTheStreamedBody) {
  const std::string body = "<p>state: serving</p>";
  TestServer server(replyInPieces("HTTP/1.0 200 OK\r\n\r\n", body, 3));
  const Outcome ok = runHttp(server, {regexUrl("state: serv(ing|ed)")});
  EXPECT_TRUE(ok.result.ok) << ok.result.reason;
  const Outcome bad = runHttp(server, {regexUrl("state: draining")});
  EXPECT_FALSE(bad.result.ok);
  EXPECT_EQ(bad.result.reason, "url /: body does not match regex \"state: draining\"");
}

TEST_F(HttpProbeTest, RegexNoMatchInvertsTheVerdict) {
  TestServer server(replyInPieces("HTTP/1.0 200 OK\r\n\r\n", "<p>state: draining</p>", 4));
  const Outcome fails = runHttp(server, {regexUrl("draining", true)});
  EXPECT_FALSE(fails.result.ok);
  EXPECT_EQ(fails.result.reason, "url /: body matches regex \"draining\" (regex_no_match)");
  const Outcome passes = runHttp(server, {regexUrl("maintenance", true)});
  EXPECT_TRUE(passes.result.ok) << passes.result.reason;
}

TEST_F(HttpProbeTest, RegexAndStatusMustBothAgree) {
  TestServer server(reply("HTTP/1.0 503 Busy\r\nContent-Length: 7\r\n\r\nserving"));
  const Outcome o = runHttp(server, {regexUrl("serving")});
  EXPECT_FALSE(o.result.ok);
  EXPECT_EQ(o.result.reason, "url /: HTTP status code 503");
}

TEST_F(HttpProbeTest, RegexOverAChunkedBody) {
  TestServer server(replyInPieces("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                  "5\r\nstate\r\n4\r\n: up\r\n0\r\n\r\n", 2));
  const Outcome o = runHttp(server, {regexUrl("state: up")});
  EXPECT_TRUE(o.result.ok) << o.result.reason;
}

}  // namespace
}  // namespace keel::check
