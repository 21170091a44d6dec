// bfd_instance, track_bfd and the mail keywords of global_defs, through readConfigText.
#include <gtest/gtest.h>

#include "conf/reader.h"

namespace keel::conf {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

class BindBfdTest : public ::testing::Test {
 protected:
  model::Config read(std::string_view text) {
    return readConfigText("keepalived.conf", text, PreprocessOptions{}, diags_);
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& d : diags_.all()) out.push_back(d.message);
    return out;
  }
  Diagnostics diags_;
};

TEST_F(BindBfdTest, EveryKeywordBindsWithKeepalivedsUnits) {
  model::Config c = read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
  source_ip 192.0.2.1
  min_rx 3.312
  min_tx 20
  idle_tx 2000
  multiplier 3
  passive
  ttl 254
  max_hops 1
  weight 10 reverse
  vrrp
}
bfd_instance b2 {
  neighbour_ip 2001:db8::2
}
)");
  EXPECT_EQ(diags_.renderAll(), "");
  ASSERT_EQ(c.bfd_instances.size(), 2u);
  const model::BfdInstance& b = c.bfd_instances[0];
  EXPECT_EQ(b.name, "b1");
  EXPECT_EQ(b.neighbor.str(), "192.0.2.2");
  EXPECT_EQ(b.source->str(), "192.0.2.1");
  EXPECT_EQ(b.min_rx, microseconds(3312));
  EXPECT_EQ(b.min_tx, milliseconds(20));
  EXPECT_EQ(b.idle_tx, milliseconds(2000));
  EXPECT_EQ(b.multiplier, 3);
  EXPECT_TRUE(b.passive);
  EXPECT_EQ(b.ttl, 254);
  EXPECT_EQ(b.max_hops, 1);
  EXPECT_EQ(b.weight, 10);
  EXPECT_TRUE(b.weight_reverse);
  EXPECT_TRUE(b.notify_vrrp);
  EXPECT_FALSE(b.notify_checker);  // `vrrp` alone restricts the events to VRRP

  const model::BfdInstance& d = c.bfd_instances[1];  // keepalived's defaults
  EXPECT_EQ(d.min_rx, milliseconds(10));
  EXPECT_EQ(d.min_tx, milliseconds(10));
  EXPECT_EQ(d.idle_tx, milliseconds(1000));
  EXPECT_EQ(d.multiplier, 5);
  EXPECT_FALSE(d.passive);
  EXPECT_EQ(model::bfdExpectedTtl(d), 64);  // IPv6: keepalived's hoplimit default
  EXPECT_EQ(model::bfdExpectedTtl(b), 254);
  EXPECT_TRUE(d.notify_vrrp && d.notify_checker);
}

TEST_F(BindBfdTest, OutOfRangeValuesNameTheirPlace) {
  read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
  min_rx 0
  min_tx 4294968
  idle_tx 999.999
  multiplier 256
  hoplimit 0
  max_hops -2
  min_rx 1.0001
}
)");
  EXPECT_EQ(messages(),
            (std::vector<std::string>{
                "BFD min_rx value 0 is not valid (must be in range [1-4294967] ms, at most three "
                "decimals)",
                "BFD min_tx value 4294968 is not valid (must be in range [1-4294967] ms, at most "
                "three decimals)",
                "BFD idle_tx value 999.999 is not valid (must be in range [1000-4294967] ms, at "
                "most three decimals)",
                "invalid multiplier \"256\": expected an integer 1-255",
                "invalid hoplimit \"0\": expected an integer 1-255",
                "invalid max_hops \"-2\": expected an integer -1-255",
                "BFD min_rx value 1.0001 is not valid (must be in range [1-4294967] ms, at most "
                "three decimals)"}));
  EXPECT_EQ(diags_.all()[0].where.line, 3);
}

TEST_F(BindBfdTest, BlockChecksAsKeepalived) {
  model::Config c = read(R"(bfd_instance nobody {
  source_ip 192.0.2.1
}
bfd_instance mixed {
  neighbor_ip 192.0.2.2
  source_ip 2001:db8::1
}
bfd_instance b1 {
  neighbor_ip 192.0.2.2
  ttl 10
  max_hops 20
}
bfd_instance b1 {
  neighbor_ip 192.0.2.3
}
bfd_instance b3 {
  neighbor_ip 192.0.2.2
}
bfd_instance a_name_that_is_longer_than_31_chars {
  neighbor_ip 192.0.2.9
}
)");
  EXPECT_EQ(messages(),
            (std::vector<std::string>{
                "BFD instance nobody has no neighbor address set",
                "BFD instance mixed source address 2001:db8::1 and neighbor address 192.0.2.2 "
                "are not of the same family",
                "BFD instance b1: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit",
                "BFD instance b1 already configured",
                "BFD instance b3 has duplicate neighbor address 192.0.2.2 (also b1)",
                "BFD instance a_name_that_is_longer_than_31_chars name too long (maximum length "
                "is 31 characters)"}));
  ASSERT_EQ(c.bfd_instances.size(), 1u);
  EXPECT_EQ(c.bfd_instances[0].max_hops, 10);
}

// keepalived: `reverse`/`noreverse` after a weight overrides the tracked object's own setting;
// a weight alone keeps it.
TEST_F(BindBfdTest, ReverseWrittenAfterAWeightIsMarkedAsGiven) {
  model::Config c = read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
bfd_instance b2 {
  neighbor_ip 192.0.2.3
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.100 }
  track_bfd {
    b1 weight 5 noreverse
    b2 weight 5
  }
}
)");
  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  const auto& t = c.vrrp_instances[0].track_bfd;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (model::TrackRef{"b1", true, 5, false, true}));
  EXPECT_EQ(t[1], (model::TrackRef{"b2", true, 5, false, false}));
}

TEST_F(BindBfdTest, TrackBfdNamesAreCheckedAndDuplicatesIgnored) {
  model::Config c = read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.100 }
  track_bfd {
    b1 weight 20 reverse
    bx
    b1
  }
}
)");
  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  const auto& t = c.vrrp_instances[0].track_bfd;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (model::TrackRef{"b1", true, 20, true, true}));
  EXPECT_EQ(t[1].name, "bx");
  EXPECT_EQ(messages(), (std::vector<std::string>{"duplicate track_bfd b1 - ignoring",
                                                  "(VI_1) track bfd bx not found"}));
}

TEST_F(BindBfdTest, MailDefaultsAreKeptUnsetUntilGiven) {
  model::Config c = read(R"(global_defs {
  smtp_alert
  smtp_alert_vrrp off
  no_email_faults
}
vrrp_sync_group G {
  group { VI_1 }
  smtp_alert on
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.100 }
}
)");
  EXPECT_EQ(c.global.smtp_alert, true);
  EXPECT_EQ(c.global.smtp_alert_vrrp, false);
  EXPECT_EQ(c.global.smtp_alert_checker, std::nullopt);
  EXPECT_TRUE(c.global.no_email_faults);
  EXPECT_EQ(c.sync_groups[0].smtp_alert, true);
  EXPECT_EQ(c.vrrp_instances[0].smtp_alert, std::nullopt);
}

// keepalived's vrrp_sync_group has track_bfd too; keel's VRRP engine does not apply a sync
// group's trackers to its members, so the keyword is said to be ignored, not silently dropped.
// keepalived's sync-group track_bfd moves every member's VIPs; keel does not apply a sync
// group's own trackers yet, so it is refused at its place rather than ignored.
// A sync group's trackers are bound; a member's own weighted tracker is ignored with
// keepalived's warning at the member (model/tracks.h).
TEST_F(BindBfdTest, SyncGroupTrackBfdIsBoundAndAMembersWeightedOneWarned) {
  model::Config c = read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
vrrp_sync_group G {
  group { VI_1 VI_2 }
  track_bfd { b1 }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress { 198.18.0.100 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 10
  virtual_ipaddress { 198.18.0.101 }
  track_bfd {
    b1 weight 5
  }
}
)");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  ASSERT_EQ(c.sync_groups.size(), 1u);
  EXPECT_EQ(c.sync_groups[0].track_bfd, (std::vector<model::TrackRef>{{"b1"}}));
  EXPECT_NE(diags_.renderAll().find("(VI_2) track_bfd b1 is configured on VRRP instance and sync "
                                    "group"),
            std::string::npos)
      << diags_.renderAll();
}

// keepalived's BFD process settings, on keel's BFD thread: the scheduling ones bind, the nice
// value is refused for bfd_rt_priority, the per-process RLIMIT_RTTIME and the name are warned.
TEST_F(BindBfdTest, BfdProcessSettingsApplyToTheBfdThread) {
  model::Config c = read(R"(global_defs {
  bfd_rt_priority 40
  bfd_no_swap
  bfd_cpu_affinity 1 3
  bfd_rlimit_rttime 10000
  bfd_process_name keel_bfd
}
)");
  EXPECT_EQ(diags_.errors(), 0u) << diags_.renderAll();
  EXPECT_EQ(c.global.bfd_rt_priority, 40);
  EXPECT_TRUE(c.global.bfd_no_swap);
  EXPECT_EQ(c.global.bfd_cpu_affinity, (std::vector<int>{1, 3}));
  const std::vector<std::string> got = messages();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].rfind("'bfd_rlimit_rttime' has no effect in keel: RLIMIT_RTTIME is per", 0), 0u)
      << got[0];
  EXPECT_EQ(got[1].rfind("'bfd_process_name' has no effect in keel", 0), 0u) << got[1];
}

TEST_F(BindBfdTest, BfdPriorityIsRefusedForBfdRtPriority) {
  (void)read("global_defs {\n  bfd_priority -5\n}\n");
  ASSERT_EQ(diags_.errors(), 1u) << diags_.renderAll();
  EXPECT_NE(diags_.all().at(0).message.find("use bfd_rt_priority"), std::string::npos);
}

}  // namespace
}  // namespace keel::conf
