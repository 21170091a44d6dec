#include "conf/statement.h"

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

class StatementTest : public ::testing::Test {
 protected:
  std::vector<Statement> build(std::string_view text) {
    PreprocessOptions options;
    lines_ = Preprocessor(options).runText("k.conf", text, diags_);
    return buildStatements(lines_, diags_);
  }
  // A compact picture of the tree: "kw(arg,arg){child;child}".
  static std::string shape(const std::vector<Statement>& list) {
    std::string out;
    for (const Statement& s : list) {
      if (!out.empty()) out += ";";
      out += s.keyword;
      if (!s.args.empty()) {
        out += "(";
        for (std::size_t i = 0; i < s.args.size(); ++i) out += (i ? "," : "") + s.args[i].text;
        out += ")";
      }
      if (s.block) out += "{" + shape(*s.block) + "}";
    }
    return out;
  }
  Diagnostics diags_;
  std::vector<LogicalLine> lines_;  // statements keep views into them
};

TEST_F(StatementTest, BlocksNestAndBracesMayStandAnywhere) {
  auto tree = build(
      "vrrp_instance VI_1 {\n"
      "  priority 100\n"
      "  virtual_ipaddress {\n"
      "    10.0.0.100/24 dev eth0\n"
      "  }\n"
      "}\n"
      "virtual_server 10.0.0.100 80\n"
      "{\n"
      "  real_server 10.0.0.1 80 { weight 1\n"
      "    HTTP_GET { url { path /index.html } connect_timeout 3 }\n"
      "  }\n"
      "}\n");
  EXPECT_EQ(shape(tree),
            "vrrp_instance(VI_1){priority(100);virtual_ipaddress{10.0.0.100/24(dev,eth0)}};"
            "virtual_server(10.0.0.100,80){real_server(10.0.0.1,80){weight(1);"
            "HTTP_GET{url{path(/index.html)};connect_timeout(3)}}}");
  EXPECT_TRUE(diags_.empty()) << diags_.renderAll();
}

TEST_F(StatementTest, LocationsPointIntoTheFile) {
  auto tree = build("@main x 1\n  vrrp_instance VI_1 {\n    priority  100\n  }\n");
  ASSERT_EQ(tree.size(), 1u);
  const Statement& p = (*tree[0].block)[0];
  EXPECT_EQ(p.where.line, 3);
  EXPECT_EQ(p.where.col, 5);
  EXPECT_EQ(p.at(0).col, 15);
  EXPECT_EQ(p.source, "    priority  100");
}

TEST_F(StatementTest, BraceErrorsAreReportedAndTheRestStillParses) {
  auto tree =
      build("}\nglobal_defs {\n  router_id a\n}\n{\n}\nvrrp_instance VI_1 {\n  x 1\n  y\n  {\n");
  // A '{' on the line after a statement opens that statement's block (keepalived's rule).
  EXPECT_EQ(shape(tree), "global_defs{router_id(a)};{};vrrp_instance(VI_1){x(1);y{}}");
  EXPECT_EQ(diags_.renderAll(),
            "k.conf:1:1: error: extra '}' with no block to close\n"
            "    }\n"
            "    ^\n"
            "k.conf:5:1: error: '{' without a keyword before it\n"
            "    {\n"
            "    ^\n"
            "k.conf:7:1: error: missing '}' for the block of 'vrrp_instance' opened here\n"
            "    vrrp_instance VI_1 {\n"
            "    ^\n"
            "k.conf:9:3: error: missing '}' for the block of 'y' opened here\n"
            "      y\n"
            "      ^\n");
}

}  // namespace
}  // namespace keel::conf
