#include "conf/values.h"

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ValuesTest, Bool) {
  for (const char* t : {"on", "true", "yes"}) EXPECT_TRUE(*parseBool("preempt", t));
  for (const char* t : {"off", "false", "no"}) EXPECT_FALSE(*parseBool("preempt", t));
  auto r = parseBool("preempt", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "invalid preempt \"1\": expected on, off, true, false, yes or no");
}

TEST(ValuesTest, IntegersStayInTheirRangeAndSayIt) {
  EXPECT_EQ(*parseInt("priority", "100", 1, 255), 100);
  EXPECT_EQ(*parseInt("weight", "-5", -254, 254), -5);
  for (const char* bad : {"0", "256", "-1", "+1", "1x", "", " 1", "0x10", "99999999999999999999"}) {
    auto r = parseInt("priority", bad, 1, 255);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message,
              std::string("invalid priority \"") + bad + "\": expected an integer 1-255");
  }
}

TEST(ValuesTest, TimersHaveMicrosecondResolution) {
  EXPECT_EQ(*parseTimer("advert_int", "1", milliseconds(10), seconds(255)), seconds(1));
  EXPECT_EQ(*parseTimer("advert_int", "0.01", milliseconds(10), seconds(255)), milliseconds(10));
  EXPECT_EQ(*parseTimer("delay_loop", "2.718281", microseconds(1), seconds(100)),
            microseconds(2718281));
  for (const char* bad : {"0", "0.001", "256", "-1", "1e9", "40.96x", ".5.", "1.2345678", ""}) {
    auto r = parseTimer("advert_int", bad, milliseconds(10), seconds(255));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message,
              std::string("invalid advert_int \"") + bad + "\": expected seconds 0.01-255");
  }
}

TEST(ValuesTest, HexStringsAsKeepalivedReadsThem) {
  using H = HexBytes;
  // keepalived.conf(5)'s example
  EXPECT_EQ(parseHexString("payload", "Ab12f 3 456 546443123", false).value().bytes,
            (std::vector<std::uint8_t>{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12,
                                       0x03}));
  EXPECT_EQ(parseHexString("p", " 01 02\tFF ", false).value(), (H{{1, 2, 0xff}, {0, 0, 0}}));
  EXPECT_EQ(parseHexString("p", "", false).value(), H{});
  EXPECT_EQ(parseHexString("r", "aX Xb xx", true).value(),
            (H{{0xa0, 0x0b, 0}, {0x0f, 0xf0, 0xff}}));
  EXPECT_EQ(parseHexString("r", "0x01", true).value(), (H{{0x00, 0x01}, {0x0f, 0}}));
  EXPECT_EQ(parseHexString("payload", "0x01", false).error().message,
            "invalid payload \"0x01\": 'x' is not a hex digit");
  EXPECT_EQ(parseHexString("require_reply", "01-02", true).error().message,
            "invalid require_reply \"01-02\": '-' is not a hex digit or X");
  EXPECT_FALSE(parseHexString("p", "zz", true));
}

TEST(ValuesTest, ScriptsSplitShellLike) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*splitScript("/etc/keepalived/bypass_ipvs.sh del 10.0.0.100"),
            (V{"/etc/keepalived/bypass_ipvs.sh", "del", "10.0.0.100"}));
  EXPECT_EQ(*splitScript("/bin/x 'a b' \"c d\" e\\ f"), (V{"/bin/x", "a b", "c d", "e f"}));
  EXPECT_EQ(*splitScript("printf \"\\t\\x41\\101\\n\""), (V{"printf", "\tAA\n"}));
  EXPECT_EQ(*splitScript("echo ''"), (V{"echo", ""}));
  EXPECT_FALSE(splitScript("echo 'open"));
  EXPECT_FALSE(splitScript("echo \"open"));
  EXPECT_FALSE(splitScript("   "));
}

}  // namespace
}  // namespace keel::conf
