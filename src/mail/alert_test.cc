#include "mail/alert.h"

#include <gtest/gtest.h>

namespace keel::mail {
namespace {

TEST(MailAlertTest, VrrpInstanceTextsAreKeepalivedsWordForWord) {
  auto a = formatAlert(AlertKind::VrrpInstance, {"VI_1", "MASTER", "", ""}, "LVS_1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->subject, "[LVS_1] VRRP Instance VI_1 - Entering MASTER state");
  EXPECT_EQ(a->body, "=> VRRP Instance is now owning VRRP VIPs <=");
  EXPECT_EQ(formatAlert(AlertKind::VrrpInstance, {"VI_1", "BACKUP", "", ""}, "r")->body,
            "=> VRRP Instance is no longer owning VRRP VIPs <=");
  EXPECT_EQ(formatAlert(AlertKind::VrrpInstance, {"VI_1", "FAULT", "", ""}, "r")->subject,
            "[r] VRRP Instance VI_1 - Entering FAULT state");
  auto stop = formatAlert(AlertKind::VrrpInstance, {"VI_1", "STOP", "", ""}, "r");
  EXPECT_EQ(stop->subject, "[r] VRRP Instance VI_1 - Stopping");
  EXPECT_EQ(stop->body, "=> VRRP Instance stopping <=");
  EXPECT_FALSE(formatAlert(AlertKind::VrrpInstance, {"VI_1", "INIT", "", ""}, "r"));
}

TEST(MailAlertTest, SyncGroupTexts) {
  auto a = formatAlert(AlertKind::VrrpGroup, {"G1", "BACKUP", "", ""}, "r");
  EXPECT_EQ(a->subject, "[r] VRRP Group G1 - Entering BACKUP state");
  EXPECT_EQ(a->body, "=> All VRRP group instances are now in BACKUP state <=");
  EXPECT_EQ(formatAlert(AlertKind::VrrpGroup, {"G1", "STOP", "", ""}, "r")->body,
            "=> All VRRP group instances are now stopping <=");
}

TEST(MailAlertTest, CheckerTexts) {
  const std::string rs =
      realServerText(*base::IpAddress::parse("192.0.2.10"), base::IpProtocol::Tcp, 80);
  const std::string vs =
      realServerText(*base::IpAddress::parse("2001:db8::1"), base::IpProtocol::Udp, 53);
  EXPECT_EQ(rs, "[192.0.2.10]:tcp:80");
  EXPECT_EQ(vs, "[2001:db8::1]:udp:53");
  auto a = formatAlert(AlertKind::RealServer, {rs, "DOWN", vs, "=> TCP CHECK failed on service <="},
                       "r");
  EXPECT_EQ(a->subject,
            "[r] Realserver [192.0.2.10]:tcp:80 of virtual server [2001:db8::1]:udp:53 - DOWN");
  EXPECT_EQ(a->body, "=> TCP CHECK failed on service <=");
  auto q = formatAlert(AlertKind::VirtualServer,
                       {fwmarkText(7), "UP", "", "=> Gained quorum 1+0=1 <= 2 <="}, "r");
  EXPECT_EQ(q->subject, "[r] Virtualserver FWM 7 - UP");
  EXPECT_EQ(groupText("web", 443), "[web]:443");
}

TEST(MailAlertTest, WhoMailsFollowsKeepalivedsDefaults) {
  model::GlobalDefs g;
  EXPECT_FALSE(vrrpAlerts(std::nullopt, g));
  EXPECT_FALSE(checkerAlerts(std::nullopt, g, false));
  EXPECT_TRUE(checkerAlerts(std::nullopt, g, true));  // a real server mails unless told not to
  g.smtp_alert = true;
  EXPECT_TRUE(vrrpAlerts(std::nullopt, g));
  EXPECT_TRUE(checkerAlerts(std::nullopt, g, false));
  g.smtp_alert_vrrp = false;
  g.smtp_alert_checker = false;
  EXPECT_FALSE(vrrpAlerts(std::nullopt, g));
  EXPECT_FALSE(checkerAlerts(std::nullopt, g, true));
  EXPECT_TRUE(vrrpAlerts(true, g));
  EXPECT_TRUE(checkerAlerts(true, g, false));
}

}  // namespace
}  // namespace keel::mail
