#include "ctl/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::ctl {
namespace {

TEST(ProtocolTest, ParsesACommandWithArguments) {
  auto r = parseRequest(R"({"cmd": "list", "stats": true, "vip": "198.18.0.100:80"})");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->cmd, "list");
  EXPECT_TRUE(flagArg(*r, "stats"));
  EXPECT_FALSE(flagArg(*r, "rate"));
  EXPECT_EQ(stringArg(*r, "vip"), "198.18.0.100:80");
  EXPECT_EQ(stringArg(*r, "stats"), std::nullopt);  // a boolean is not a string
}

TEST(ProtocolTest, RejectsHostileRequestsWithAReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"garbage\x01\xff", "not valid JSON"},
      {R"({"cmd": "list")", "not valid JSON"},
      {"[1,2,3]", "not a JSON object"},
      {"\"list\"", "not a JSON object"},
      {"42", "not a JSON object"},
      {"{}", "no string \"cmd\""},
      {R"({"cmd": 7})", "no string \"cmd\""},
      {R"({"cmd": null})", "no string \"cmd\""},
      {R"({"cmd": ""})", "bad command name"},
      {R"({"cmd": "list; rm -rf /"})", "bad command name"},
      {R"x({"cmd": "$(reboot)"})x", "bad command name"},
      {R"({"cmd": "`id`"})", "bad command name"},
      {R"({"cmd": "LIST"})", "bad command name"},
      {R"({"cmd": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})", "bad command name"},  // 33 chars
      {R"({"cmd": "li\u0000st"})", "bad command name"},
      {R"({"cmd": "list", "x": "\ud800"})", "not valid JSON"},  // lone surrogate
  };
  for (const auto& [line, why] : cases) {
    auto r = parseRequest(line);
    ASSERT_FALSE(r) << line;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << line << ": " << r.error().message;
  }
}

TEST(ProtocolTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = R"({"cmd": "list", "x": )" + std::string(60000, '[');
  auto r = parseRequest(deep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "request nested too deeply");
  // Brackets inside strings do not count.
  auto ok = parseRequest(R"({"cmd": "list", "x": ")" + std::string(1000, '[') + "\"}");
  EXPECT_TRUE(ok) << ok.error().str();
  // The limit itself is accepted.
  std::string at_limit = R"({"cmd": "list", "x": )" + std::string(kMaxJsonDepth - 1, '[') +
                         std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(parseRequest(at_limit));
}

TEST(ProtocolTest, OversizedRequestIsRefused) {
  std::string big = R"({"cmd": "list", "x": ")" + std::string(kMaxRequestBytes, 'a') + "\"}";
  auto r = parseRequest(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "request too large");
}

TEST(ProtocolTest, ResponsesAreOneLine) {
  EXPECT_EQ(okResponse({{"text", "a\nb"}}), "{\"ok\":true,\"text\":\"a\\nb\"}\n");
  EXPECT_EQ(errorResponse("no \"such\" command"),
            "{\"ok\":false,\"error\":\"no \\\"such\\\" command\"}\n");
  // Invalid UTF-8 from anywhere (a name in the config) is replaced, not thrown.
  EXPECT_EQ(errorResponse("bad \xff byte"), "{\"ok\":false,\"error\":\"bad \xEF\xBF\xBD byte\"}\n");
}

TEST(ProtocolTest, LineLengthFindsTheFirstLine) {
  EXPECT_EQ(lineLength(""), std::nullopt);
  EXPECT_EQ(lineLength("abc"), std::nullopt);
  EXPECT_EQ(lineLength("abc\n"), 4U);
  EXPECT_EQ(lineLength("a\nb\n"), 2U);
}

}  // namespace
}  // namespace keel::ctl
