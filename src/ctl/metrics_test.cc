#include "ctl/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace keel::ctl {
namespace {

TEST(MetricsTest, WritesFamiliesWithHelpTypeAndGroupedSamples) {
  MetricsText m;
  m.family("keel_vrrp_state", "gauge", "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.");
  m.family("keel_vrrp_adverts_sent_total", "counter", "Adverts sent.");
  m.add("keel_vrrp_state", {{"instance", "VI_1"}}, 2);
  m.add("keel_vrrp_adverts_sent_total", {{"instance", "VI_1"}}, 17);
  m.add("keel_vrrp_state", {{"instance", "VI_2"}}, 1);
  m.add("keel_unknown", {}, 1);  // undeclared: ignored
  EXPECT_EQ(m.str(),
            "# HELP keel_vrrp_state VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.\n"
            "# TYPE keel_vrrp_state gauge\n"
            "keel_vrrp_state{instance=\"VI_1\"} 2\n"
            "keel_vrrp_state{instance=\"VI_2\"} 1\n"
            "# HELP keel_vrrp_adverts_sent_total Adverts sent.\n"
            "# TYPE keel_vrrp_adverts_sent_total counter\n"
            "keel_vrrp_adverts_sent_total{instance=\"VI_1\"} 17\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue(R"(a"b\c)"
                             "\nd"),
            R"(a\"b\\c\nd)");
  EXPECT_EQ(escapeHelp("a\\b\n\"c\""), "a\\\\b\\n\"c\"");
  MetricsText m;
  m.family("keel_check_up", "gauge", "1 when up.");
  m.add("keel_check_up", {{"virtual_server", "x\"}\n"}, {"real_server", "r"}}, 1);
  EXPECT_EQ(m.str(),
            "# HELP keel_check_up 1 when up.\n# TYPE keel_check_up gauge\n"
            "keel_check_up{virtual_server=\"x\\\"}\\n\",real_server=\"r\"} 1\n");
}

TEST(MetricsTest, FormatsValues) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(18446744073709.0), "18446744073709");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsTest, AnswersHttpRequests) {
  const std::string ok = httpResponse("GET /metrics HTTP/1.0\r\n\r\n", "x 1\n");
  EXPECT_EQ(ok,
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 4\r\nConnection: close\r\n\r\nx 1\n");
  EXPECT_EQ(httpResponse("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", "").substr(0, 15),
            "HTTP/1.0 200 OK");
  EXPECT_EQ(httpResponse("GET / HTTP/1.0\r\n\r\n", "").substr(0, 22), "HTTP/1.0 404 Not Found");
  EXPECT_EQ(httpResponse("POST /metrics HTTP/1.0\r\n\r\n", "").substr(0, 12), "HTTP/1.0 405");
  for (const char* bad : {"", "GET\r\n\r\n", "GET /metrics\r\n\r\n", "\x01\x02 x y\r\n\r\n"}) {
    EXPECT_EQ(httpResponse(bad, "").substr(0, 12), "HTTP/1.0 400") << bad;
  }
}

TEST(MetricsTest, FindsTheRequestHead) {
  EXPECT_EQ(httpHeadLength("GET / HTTP/1.0\r\n"), std::nullopt);
  EXPECT_EQ(httpHeadLength("GET / HTTP/1.0\r\n\r\n"), 18U);
  EXPECT_EQ(httpHeadLength("GET / HTTP/1.0\n\n"), 16U);
}

}  // namespace
}  // namespace keel::ctl
