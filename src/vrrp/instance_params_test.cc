// Timer arithmetic and InstanceParams::from (state_machine.h).
#include "vrrp/state_machine.h"

#include <gtest/gtest.h>

namespace keel::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

// ---- timers (RFC 3768 §6.1, RFC 5798 §6.1) ----

struct TimerCase {
  int version;
  int priority;
  Micros interval;
  Micros skew;
  Micros down;  // 3 adverts
};

TEST(TimersTest, SkewAndDownIntervalRoundDownToMicroseconds) {
  const TimerCase cases[] = {
      // v2: (256 - p) * 1 s / 256, independent of the interval.
      {2, 100, seconds(1), Micros{609'375}, Micros{3'609'375}},  // 156 * 1e6 / 256 exactly
      {2, 255, seconds(1), Micros{3'906}, Micros{3'003'906}},    // 3906.25 -> 3906
      {2, 1, seconds(1), Micros{996'093}, Micros{3'996'093}},    // 996093.75 -> 996093
      {2, 100, seconds(5), Micros{609'375}, Micros{15'609'375}},
      // v3: (256 - p) * Master_Adver_Interval / 256.
      {3, 100, seconds(1), Micros{609'375}, Micros{3'609'375}},
      {3, 100, milliseconds(100), Micros{60'937}, Micros{360'937}},   // 60937.5 -> 60937
      {3, 1, milliseconds(10), Micros{9'960}, Micros{39'960}},        // 9960.9 -> 9960
      {3, 254, milliseconds(500), Micros{3'906}, Micros{1'503'906}},  // 3906.25 -> 3906
  };
  for (const TimerCase& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << "v" << c.version << " prio " << c.priority << " int " << c.interval.count());
    EXPECT_EQ(skewTime(c.version, c.priority, c.interval), c.skew);
    EXPECT_EQ(masterDownInterval(c.version, c.priority, c.interval, 3), c.down);
  }
  // down_timer_adverts 5, v2 prio 100: 5 s + 0.609375 s.
  EXPECT_EQ(masterDownInterval(2, 100, seconds(1), 5), Micros{5'609'375});
}

// ---- InstanceParams::from (docs/reference/keepalived.md §1.10, §2.2, §2.3) ----

TEST(InstanceParamsTest, AppliesKeepalivedRules) {
  model::GlobalDefs globals;
  model::VrrpInstance vi;
  vi.name = "VI_1";
  vi.priority = 150;
  const base::IpAddress primary = ip("10.0.0.2");

  InstanceParams p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.name, "VI_1");
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.base_priority, 150);
  EXPECT_EQ(p.advert_int, seconds(1));
  EXPECT_FALSE(p.want_master);
  EXPECT_EQ(p.own_address, primary);
  EXPECT_EQ(p.down_timer_adverts, 3);
  EXPECT_FALSE(p.lower_prio_no_advert);

  vi.unicast_src_ip = ip("10.0.0.9");
  EXPECT_EQ(InstanceParams::from(vi, globals, primary).own_address, ip("10.0.0.9"));
  vi.unicast_src_ip.reset();

  globals.vrrp_version = 3;
  globals.vrrp_down_timer_adverts = 5;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.version, 3);
  EXPECT_EQ(p.down_timer_adverts, 5);
  globals = {};
  vi.version = 2;
  vi.virtual_ipaddress.push_back({.address = *base::Prefix::parse("2001:db8::1/64")});
  EXPECT_EQ(InstanceParams::from(vi, globals, primary).version, 3);  // IPv6 forces v3
}

TEST(InstanceParamsTest, NopreemptAndPreemptDelayNeedStateBackup) {
  model::GlobalDefs globals;
  model::VrrpInstance vi;
  vi.nopreempt = true;
  vi.preempt_delay = seconds(30);
  const base::IpAddress primary = ip("10.0.0.2");

  InstanceParams p = InstanceParams::from(vi, globals, primary);
  EXPECT_TRUE(p.nopreempt);
  EXPECT_EQ(p.preempt_delay, Micros{0});  // ignored with nopreempt

  vi.nopreempt = false;
  EXPECT_EQ(InstanceParams::from(vi, globals, primary).preempt_delay, seconds(30));
  vi.strict_mode = true;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.preempt_delay, Micros{0});
  EXPECT_TRUE(p.lower_prio_no_advert);
  vi.strict_mode.reset();

  vi.state = model::InitialState::Master;
  vi.nopreempt = true;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_TRUE(p.want_master);
  EXPECT_FALSE(p.nopreempt);
  EXPECT_EQ(p.preempt_delay, Micros{0});

  vi.state = model::InitialState::Backup;
  vi.priority = 255;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.base_priority, kOwnerPriority);
  EXPECT_FALSE(p.nopreempt);  // an owner always preempts
}

TEST(InstanceParamsTest, RoundsAdvertIntPerVersion) {
  struct Case {
    int version;
    Micros configured;
    Micros used;
  };
  const Case cases[] = {
      {2, milliseconds(1400), seconds(1)},       {2, milliseconds(1500), seconds(2)},
      {2, milliseconds(300), seconds(1)},        {2, seconds(300), seconds(255)},
      {3, milliseconds(123), milliseconds(120)}, {3, milliseconds(125), milliseconds(130)},
      {3, Micros{1'000}, milliseconds(10)},      {3, seconds(50), milliseconds(40'950)},
  };
  model::GlobalDefs globals;
  model::VrrpInstance vi;
  for (const Case& c : cases) {
    vi.version = c.version;
    vi.advert_int = c.configured;
    EXPECT_EQ(InstanceParams::from(vi, globals, ip("10.0.0.2")).advert_int, c.used)
        << "v" << c.version << " " << c.configured.count() << " us";
  }
}

// The instance's down_timer_adverts, lower_prio_no_advert and higher_prio_send_advert override
// the globals; vrrp_strict keeps 3 adverts, forces lower_prio_no_advert and clears
// higher_prio_send_advert (keepalived.conf(5), vrrp_strict).
TEST(InstanceParamsTest, AdvertOptionsComeFromTheInstanceElseTheGlobalsAndYieldToStrict) {
  model::VrrpInstance vi;
  model::GlobalDefs globals;
  const base::IpAddress primary = ip("10.0.0.2");
  globals.vrrp_down_timer_adverts = 5;
  globals.vrrp_higher_prio_send_advert = true;
  InstanceParams p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.down_timer_adverts, 5);
  EXPECT_TRUE(p.higher_prio_send_advert);
  EXPECT_FALSE(p.lower_prio_no_advert);
  vi.down_timer_adverts = 7;
  vi.higher_prio_send_advert = false;
  vi.lower_prio_no_advert = true;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.down_timer_adverts, 7);
  EXPECT_FALSE(p.higher_prio_send_advert);
  EXPECT_TRUE(p.lower_prio_no_advert);
  vi.higher_prio_send_advert = true;
  vi.lower_prio_no_advert = false;
  vi.strict_mode = true;
  p = InstanceParams::from(vi, globals, primary);
  EXPECT_EQ(p.down_timer_adverts, 3);
  EXPECT_FALSE(p.higher_prio_send_advert);
  EXPECT_TRUE(p.lower_prio_no_advert);
}

}  // namespace
}  // namespace keel::vrrp
