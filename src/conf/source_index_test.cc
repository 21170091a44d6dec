#include "conf/source_index.h"

#include <gtest/gtest.h>

#include "conf/reader.h"

namespace keel::conf {
namespace {

TEST(SourceIndexTest, FindsTheLongestNotedPrefix) {
  SourceIndex index;
  index.note({"vrrp_instance", "VI_1"}, {"k.conf", 3, 15}, "vrrp_instance VI_1 {");
  index.note({"vrrp_instance", "VI_1", "interface"}, {"k.conf", 4, 13}, "  interface eth9");
  EXPECT_EQ(index.find({"vrrp_instance", "VI_1", "interface"})->where.line, 4);
  EXPECT_EQ(index.find({"vrrp_instance", "VI_1", "track_script", "chk"})->where.line, 3);
  EXPECT_EQ(index.find({"vrrp_instance", "VI_2"}), nullptr);
  Diagnostics diags;
  index.report(diags, "k.conf", true, "(VI_2) gone", {"vrrp_instance", "VI_2"});
  EXPECT_EQ(render(diags.all()[0]), "k.conf: error: (VI_2) gone\n");
}

// issue 17 "Diagnostics": problems found after binding name the statement at fault.
TEST(SourceIndexTest, SemanticErrorsNameTheStatementAtFault) {
  Diagnostics diags;
  (void)readConfigText("k.conf",
                       "vrrp_instance VI_1 {\n"
                       "  interface eth0\n"
                       "  virtual_router_id 7\n"
                       "  version 2\n"
                       "  virtual_ipaddress {\n"
                       "    2001:db8::1/64\n"
                       "  }\n"
                       "  track_script {\n"
                       "    chk_gone\n"
                       "  }\n"
                       "}\n"
                       "vrrp_instance VI_2 {\n"
                       "  interface eth0\n"
                       "  virtual_router_id 7\n"
                       "  virtual_ipaddress {\n"
                       "    2001:db8::2/64\n"
                       "  }\n"
                       "}\n"
                       "vrrp_sync_group G {\n"
                       "  group {\n"
                       "    VI_1 VI_9\n"
                       "  }\n"
                       "}\n",
                       {}, diags);
  EXPECT_EQ(diags.renderAll(),
            "k.conf:6:5: error: (VI_1) VRRP version 2 cannot carry IPv6 addresses; use version 3\n"
            "        2001:db8::1/64\n"
            "        ^\n"
            "k.conf:14:21: error: (VI_2) virtual_router_id 7 on eth0 is already used by VI_1\n"
            "      virtual_router_id 7\n"
            "                        ^\n"
            "k.conf:21:10: error: vrrp_sync_group G names unknown vrrp_instance VI_9\n"
            "        VI_1 VI_9\n"
            "             ^\n"
            "k.conf:9:5: error: (VI_1) track_script chk_gone is not a vrrp_script\n"
            "        chk_gone\n"
            "        ^\n");
}

}  // namespace
}  // namespace keel::conf
