#include "conf/lexer.h"

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

std::vector<std::string> texts(std::string_view line, Diagnostics* diags = nullptr) {
  Diagnostics local;
  std::vector<std::string> out;
  for (const Token& t : tokenize(line, {"t.conf", 7, 0}, diags != nullptr ? *diags : local)) {
    out.push_back(t.text);
  }
  return out;
}

using V = std::vector<std::string>;

TEST(LexerTest, SplitsOnBlanksAndMakesBracesTokens) {
  EXPECT_EQ(texts("virtual_server 10.0.0.1 80 {"), (V{"virtual_server", "10.0.0.1", "80", "{"}));
  EXPECT_EQ(texts("\turl{ path /index.html }"), (V{"url", "{", "path", "/index.html", "}"}));
  EXPECT_EQ(texts("real_server 1.2.3.4 80 { weight 1"),
            (V{"real_server", "1.2.3.4", "80", "{", "weight", "1"}));
  EXPECT_EQ(texts("   "), V{});
}

TEST(LexerTest, CommentsStartAnywhereOutsideQuotes) {
  EXPECT_EQ(texts("priority 100 # the master"), (V{"priority", "100"}));
  EXPECT_EQ(texts("auth_pass secret! trailing"), (V{"auth_pass", "secret"}));
  EXPECT_EQ(texts("! whole line"), V{});
  EXPECT_EQ(texts("notify \"/bin/x.sh # not a comment\""),
            (V{"notify", "/bin/x.sh # not a comment"}));
  EXPECT_EQ(texts("auth_pass pa\\!ss\\#"), (V{"auth_pass", "pa!ss#"}));
  EXPECT_EQ(stripComment("a \"b#c\" d # e"), "a \"b#c\" d ");
  EXPECT_EQ(stripComment("x \\# y"), "x \\# y");
}

TEST(LexerTest, QuotesGroupAndAreRemoved) {
  EXPECT_EQ(texts("script \"/usr/bin/check --x 1\" root"),
            (V{"script", "/usr/bin/check --x 1", "root"}));
  EXPECT_EQ(texts("name \"{braces} inside\""), (V{"name", "{braces} inside"}));
  EXPECT_EQ(texts("x \"a \\\"q\\\" b\""), (V{"x", "a \"q\" b"}));
  EXPECT_EQ(texts("x \"\""), (V{"x", ""}));
  auto toks = tokenize("  key \"v\" {", {"t.conf", 1, 0}, *std::make_unique<Diagnostics>());
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].col, 3);
  EXPECT_EQ(toks[1].col, 7);
  EXPECT_TRUE(toks[1].quoted);
  EXPECT_FALSE(toks[1].isOpen());
  EXPECT_TRUE(toks[2].isOpen());
  EXPECT_EQ(toks[2].col, 11);
}

TEST(LexerTest, UnmatchedQuoteIsAnErrorAtTheQuote) {
  Diagnostics d;
  EXPECT_EQ(texts("notify_master \"/bin/x.sh add", &d), (V{"notify_master"}));
  EXPECT_EQ(d.renderAll(),
            "t.conf:7:15: error: unmatched '\"'\n"
            "    notify_master \"/bin/x.sh add\n"
            "                  ^\n");
}

}  // namespace
}  // namespace keel::conf
