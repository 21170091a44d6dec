#include "check/genhash.h"

#include <gtest/gtest.h>

#include "check/test_http_server.h"

namespace keel::check {
namespace {

using testing::TestConnection;
using testing::TestServer;

// RFC 1321-style known answer, computed independently of this code base.
constexpr const char* kFox = "The quick brown fox jumps over the lazy dog";
constexpr const char* kFoxMd5 = "9e107d9d372bb6826bd81d3542a419d6";

TestServer::Handler foxServer() {
  return [](TestConnection& c) {
    c.readRequest();
    c.send(std::string("HTTP/1.0 200 OK\r\nContent-Length: 43\r\n\r\n") + kFox);
  };
}

TEST(GenhashTest, PrintsTheBodysMd5OverHttp) {
  TestServer server(foxServer());
  auto r = genhash({.server = "127.0.0.1", .port = server.port(), .url = "/fox"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, kFoxMd5);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body_bytes, 43U);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_TRUE(server.requests()[0].starts_with("GET /fox HTTP/1.0\r\n"));
}

TEST(GenhashTest, WorksOverTlsWithVirtualhost) {
  TestServer server(foxServer(), testing::selfSignedServerContext());
  auto r = genhash({.server = "127.0.0.1",
                    .port = server.port(),
                    .url = "/",
                    .tls = true,
                    .virtualhost = "www.example"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->digest, kFoxMd5);
  EXPECT_EQ(server.serverNames(), std::vector<std::string>{"www.example"});
  EXPECT_NE(server.requests()[0].find("Host: www.example\r\n"), std::string::npos);
}

TEST(GenhashTest, FailsWithTheReasonWithinTheTimeout) {
  TestServer server([](TestConnection& c) { c.idle(std::chrono::seconds(10)); });
  auto r = genhash(
      {.server = "127.0.0.1", .port = server.port(), .timeout = std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::Timeout);
  EXPECT_EQ(r.error().message, "timeout reading the response (0 bytes received)");
}

}  // namespace
}  // namespace keel::check
