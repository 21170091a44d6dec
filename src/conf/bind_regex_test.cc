// The checker binder's HTTP_GET/SSL_GET url regex settings.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "conf/reader.h"

namespace keel::conf {
namespace {

// A virtual server whose one real server has an HTTP_GET with `url_body` as its url's body.
std::string withUrl(std::string_view url_body) {
  return "virtual_server 198.18.0.100 80 {\n"
         "  lb_algo rr\n"
         "  lb_kind NAT\n"
         "  protocol TCP\n"
         "  real_server 198.18.0.2 80 {\n"
         "    HTTP_GET {\n"
         "      url {\n"
         "        path /\n" +
         std::string(url_body) +
         "      }\n"
         "    }\n"
         "  }\n"
         "}\n";
}

struct Bound {
  model::Config config;
  std::string diagnostics;
};

Bound bind(std::string_view url_body) {
  Diagnostics diags;
  model::Config c = readConfigText("k.conf", withUrl(url_body), {}, diags);
  return {std::move(c), diags.renderAll()};
}

const model::HttpUrl* firstUrl(const model::Config& c) {
  if (c.virtual_servers.empty() || c.virtual_servers[0].real_servers.empty()) return nullptr;
  const auto& checks = c.virtual_servers[0].real_servers[0].checkers;
  if (checks.empty()) return nullptr;
  const auto* http = std::get_if<model::HttpCheck>(&checks[0].kind);
  return http == nullptr || http->urls.empty() ? nullptr : &http->urls[0];
}

TEST(BindRegexTest, EverySettingBinds) {
  const Bound b = bind(
      "        regex \"state: (up|ok)\\\\s*$\"\n"
      "        regex_no_match\n"
      "        regex_options caseless multiline\n"
      "        regex_min_offset 4\n"
      "        regex_max_offset 4096\n"
      "        regex_stack 32768 1048576\n");
  EXPECT_EQ(b.diagnostics, "");
  const model::HttpUrl* url = firstUrl(b.config);
  ASSERT_NE(url, nullptr);
  ASSERT_TRUE(url->regex.has_value());
  EXPECT_EQ(url->regex->pattern, "state: (up|ok)\\s*$");
  EXPECT_TRUE(url->regex->no_match);
  EXPECT_EQ(url->regex->options, (std::vector<std::string>{"caseless", "multiline"}));
  EXPECT_EQ(url->regex->min_offset, 4u);
  EXPECT_EQ(url->regex->max_offset, 4096u);
  EXPECT_EQ(url->regex->stack, (std::pair<std::size_t, std::size_t>{32768, 1048576}));
}

TEST(BindRegexTest, UrlWithoutRegexHasNone) {
  const Bound b = bind("");
  const model::HttpUrl* url = firstUrl(b.config);
  ASSERT_NE(url, nullptr);
  EXPECT_FALSE(url->regex.has_value());
}

TEST(BindRegexTest, BadPatternIsAnErrorAtThePattern) {
  const Bound b = bind("        regex \"state: (up\"\n");
  EXPECT_EQ(b.diagnostics,
            "k.conf:9:15: error: invalid regex: missing closing parenthesis at offset 10\n"
            "            regex \"state: (up\"\n"
            "                  ^\n"
            "k.conf:6:5: error: HTTP_GET has no url\n"
            "        HTTP_GET {\n"
            "        ^\n");
  EXPECT_EQ(firstUrl(b.config), nullptr);
}

TEST(BindRegexTest, UnknownOptionIsAnErrorAtTheOption) {
  const Bound b = bind("        regex ok\n        regex_options caseless sloppy\n");
  EXPECT_EQ(b.diagnostics,
            "k.conf:10:32: error: unknown regex option \"sloppy\"\n"
            "            regex_options caseless sloppy\n"
            "                                   ^\n");
}

TEST(BindRegexTest, SettingsWithoutARegexAreAnError) {
  const Bound b = bind("        regex_no_match\n");
  EXPECT_EQ(b.diagnostics,
            "k.conf:7:7: error: url has regex settings but no regex\n"
            "          url {\n"
            "          ^\n"
            "k.conf:6:5: error: HTTP_GET has no url\n"
            "        HTTP_GET {\n"
            "        ^\n");
}

TEST(BindRegexTest, OffsetsAndStackMustBeOrdered) {
  EXPECT_NE(bind("        regex ok\n        regex_min_offset 10\n        regex_max_offset 5\n")
                .diagnostics.find("regex_min_offset 10 is beyond regex_max_offset 5"),
            std::string::npos);
  EXPECT_NE(bind("        regex ok\n        regex_stack 100 10\n")
                .diagnostics.find("k.conf:10:21: error: invalid regex_stack"),
            std::string::npos);
}

TEST(BindHttpTest, FastRecoveryIsAccepted) {
  const Bound b = bind("");
  EXPECT_FALSE(
      std::get<model::HttpCheck>(b.config.virtual_servers[0].real_servers[0].checkers[0].kind)
          .fast_recovery);
  Diagnostics diags;
  std::string text = withUrl("");
  text.replace(text.find("      url {"), 0, "      fast_recovery\n");
  const model::Config c = readConfigText("k.conf", text, {}, diags);
  EXPECT_EQ(diags.renderAll(), "");
  EXPECT_TRUE(std::get<model::HttpCheck>(c.virtual_servers[0].real_servers[0].checkers[0].kind)
                  .fast_recovery);
}

TEST(BindHttpTest, CheckerLogAllFailuresSetsEveryChecker) {
  for (const bool global : {false, true}) {
    Diagnostics diags;
    // After the virtual server, as keepalived allows.
    const std::string text =
        withUrl("") + (global ? "global_defs {\n  checker_log_all_failures\n}\n" : "");
    const model::Config c = readConfigText("k.conf", text, {}, diags);
    EXPECT_EQ(diags.renderAll(), "");
    EXPECT_EQ(c.virtual_servers[0].real_servers[0].checkers[0].timing.log_all_failures, global);
  }
}

}  // namespace
}  // namespace keel::conf
