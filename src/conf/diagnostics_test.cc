#include "conf/diagnostics.h"

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

TEST(DiagnosticsTest, RendersFileLineColSeverityThenSourceAndCaret) {
  Diagnostics d;
  d.error({"keepalived.conf", 12, 5}, "unknown keyword 'prioritty'", "    prioritty 100");
  d.warning({"keepalived.conf", 30, 0}, "nb_get_retry is deprecated, use retry", "");
  EXPECT_EQ(d.errors(), 1u);
  EXPECT_EQ(d.warnings(), 1u);
  EXPECT_EQ(d.renderAll(),
            "keepalived.conf:12:5: error: unknown keyword 'prioritty'\n"
            "        prioritty 100\n"
            "        ^\n"
            "keepalived.conf:30: warning: nb_get_retry is deprecated, use retry\n");
}

TEST(DiagnosticsTest, CaretKeepsTabsSoItStandsUnderTheColumn) {
  Diagnostic d{Severity::Error, {"a.conf", 1, 3}, "bad", "\t\tx"};
  EXPECT_EQ(render(d), "a.conf:1:3: error: bad\n    \t\tx\n    \t\t^\n");
}

TEST(DiagnosticsTest, FileOnlyProblem) {
  Diagnostic d{Severity::Error, {"/etc/keel/missing.conf", 0, 0}, "no such file", ""};
  EXPECT_EQ(render(d), "/etc/keel/missing.conf: error: no such file\n");
}

}  // namespace
}  // namespace keel::conf
