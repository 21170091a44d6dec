#include "conf/budget.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "conf/reader.h"
#include "conf/statement.h"

namespace keel::conf {
namespace {

// A clock that moves one second each time it is read.
class TickingClock final : public base::Clock {
 public:
  base::TimePoint now() const override { return base::TimePoint(std::chrono::seconds(++ticks_)); }
  base::WallTime wallNow() const override { return {}; }

 private:
  mutable std::int64_t ticks_ = 0;
};

class BudgetTest : public ::testing::Test {
 protected:
  // Reads `text` as k.conf and returns every diagnostic rendered.
  std::string read(std::string_view text) {
    options_.config_id = "main";
    (void)readConfigText("k.conf", text, options_, diags_);
    return diags_.renderAll();
  }

  PreprocessOptions options_;
  Diagnostics diags_;
};

// issue 16 item 2(b): 1.1 KB doubling $A0..$A10 under ~SEQ(i,1,3000) would expand to 3.6 GB.
TEST_F(BudgetTest, AnExponentialMacroUnderAGeneratorSpendsTheExpandedBytesBudget) {
  std::string text = "$A0=" + std::string(100, 'x') + "\n";
  for (int i = 1; i <= 10; ++i) text += fmt::format("$A{}=${{A{}}} ${{A{}}}\n", i, i - 1, i - 1);
  text += "~SEQ(i,1,3000) router_id ${A10}${A10}${A10}${A10}${A10}\n";
  ASSERT_LT(text.size(), 1200u);
  options_.budgets.max_expanded_bytes = 16 << 20;  // a quarter of the default: a faster test
  std::string got = read(text);
  ASSERT_EQ(diags_.errors(), 1u) << got;
  EXPECT_EQ(got.substr(0, got.find('\n')),
            "k.conf:12:1: error: more than 16777216 bytes of lines (the expanded-bytes budget); "
            "reading stops here");
}

// issue 16 item 2(b): 4 * 10^12 iterations of a definition (no line out) ran for days.
TEST_F(BudgetTest, NestedGeneratorsSpendTheGeneratorBudget) {
  std::string got = read("global_defs {\n}\n  ~SEQ(i,1,2000000) ~SEQ(j,1,2000000) $A=1\n");
  EXPECT_EQ(got,
            "k.conf:3:3: error: ~SEQ(i,1,2000000) would run 2000000 iterations, more than the "
            "1000000 left (the generator budget); reading stops here\n"
            "      ~SEQ(i,1,2000000) ~SEQ(j,1,2000000) $A=1\n"
            "      ^\n");
  diags_ = {};
  options_.budgets.max_iterations = 10;  // the outer one fits; the inner one, the second time
  got = read("~SEQ(i,1,3) ~SEQ(j,1,5) $A=1\n");
  EXPECT_EQ(got.substr(0, got.find('\n')),
            "k.conf:1:1: error: ~SEQ(j,1,5) would run 5 iterations, more than the 3 left (the "
            "generator budget); reading stops here");
}

// issue 16 item 2(b): ~200k nested `a{` overflowed the stack in ~Statement.
TEST_F(BudgetTest, DeepBlocksSpendTheNestingBudget) {
  std::string text = "vrrp_instance VI_1 {\n";
  for (int i = 0; i < 200'000; ++i) text += "a{\n";
  std::string got = read(text);
  ASSERT_EQ(diags_.errors(), 1u) << got.substr(0, 2000);
  EXPECT_EQ(got.substr(0, got.find('\n')),
            "k.conf:33:2: error: blocks nested deeper than 32 (the nesting budget); reading stops "
            "here");
}

TEST_F(BudgetTest, ADeepTreeIsDestroyedWithoutRecursion) {
  std::string text;
  for (int i = 0; i < 200'000; ++i) text += "a{\n";
  PreprocessOptions options;
  options.budgets.max_block_depth = 300'000;
  Diagnostics diags;
  Budget budget(options.budgets, diags);
  auto lines = Preprocessor(options, &budget).runText("k.conf", text, diags);
  {
    std::vector<Statement> tree = buildStatements(lines, diags, &budget);
    ASSERT_EQ(tree.size(), 1u);  // 200,000 levels deep, destroyed at the end of this scope
  }
  std::vector<Statement> top(1);
  Statement* at = &top[0];
  for (int i = 0; i < 200'000; ++i) at = &at->block.emplace().emplace_back();
  top.clear();  // would overflow the stack if ~Statement recursed
  SUCCEED();
}

TEST_F(BudgetTest, TheLineBudget) {
  options_.budgets.max_lines = 3;
  std::string got = read("global_defs {\n router_id a\n}\n  @main x\n");
  EXPECT_EQ(got,
            "k.conf:4:3: error: more than 3 lines (the line budget); reading stops here\n"
            "      @main x\n"
            "      ^\n");
}

TEST_F(BudgetTest, TheDiagnosticsBudget) {
  options_.budgets.max_diagnostics = 3;
  std::string got = read("a\nb\nc\nd\ne\n");
  EXPECT_EQ(diags_.all().size(), 4u);
  EXPECT_TRUE(diags_.full());
  EXPECT_EQ(diags_.all()[3].message,
            "more than 3 diagnostics (the diagnostics budget); reading stops here");
  EXPECT_EQ(diags_.all()[3].where.line, 4);
}

TEST_F(BudgetTest, TheWallTimeBudget) {
  TickingClock clock;
  options_.clock = &clock;
  options_.budgets.max_wall_time = std::chrono::seconds(10);
  std::string text;
  for (int i = 0; i < 20'000; ++i) text += "~SEQ(i,1,2) $X=1\n";
  std::string got = read(text);
  ASSERT_EQ(diags_.errors(), 1u) << got;
  // The clock is read every 256 charges: the eleventh reading is past the deadline.
  EXPECT_EQ(got.substr(0, got.find('\n')),
            "k.conf:854:1: error: more than 10 s of reading (the time budget); reading stops here");
}

// The budgets are generous for real configurations: a 2,277-virtual-server, 37,205-real-server
// file (bench/gen_conf.py's shape) spends none of them.
TEST_F(BudgetTest, ALargeRealConfigurationFitsTheDefaults) {
  std::string text = "global_defs {\n  router_id big\n}\n";
  int reals = 0;
  for (int v = 0; v < 2277; ++v) {
    text += fmt::format(
        "virtual_server 198.18.{}.{} 80 {{\n  delay_loop 6\n  lb_algo rr\n  lb_kind DR\n"
        "  protocol TCP\n",
        v / 250, v % 250 + 1);
    for (int r = 0; r < (v < 773 ? 17 : 16); ++r, ++reals) {
      text += fmt::format(
          "  real_server 198.19.{}.{} 80 {{\n    weight 1\n    HTTP_GET {{\n"
          "      url {{ path /health }}\n      connect_timeout 3\n    }}\n  }}\n",
          reals / 250 % 250, reals % 250 + 1);
    }
    text += "}\n";
  }
  ASSERT_EQ(reals, 37205);
  std::string got = read(text);
  EXPECT_TRUE(diags_.empty()) << got.substr(0, 2000);
}

}  // namespace
}  // namespace keel::conf
