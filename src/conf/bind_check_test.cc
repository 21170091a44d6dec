// The checkers keel binds beyond the common ones (FILE_CHECK, UDP_CHECK's reply settings),
// through readConfigText.
#include <gtest/gtest.h>

#include "conf/reader.h"

namespace keel::conf {
namespace {

class BindCheckTest : public ::testing::Test {
 protected:
  model::Config read(std::string_view text) {
    return readConfigText("keepalived.conf", text, PreprocessOptions{}, diags_);
  }
  Diagnostics diags_;
};

// A virtual server with one real server holding `checkers`.
std::string withReal(std::string_view checkers) {
  return "virtual_server 198.18.0.100 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
         "  real_server 198.18.0.21 80 {\n" +
         std::string(checkers) + "  }\n}\n";
}

TEST_F(BindCheckTest, FileCheckNamesATrackFileWithAnOptionalWeight) {
  model::Config c = read(R"(track_file up {
  file /run/keel/up
  weight -3 reverse
  init_file 4 overwrite
}
)" + withReal("    FILE_CHECK { track_file up }\n"
              "    FILE_CHECK {\n      track_file up\n      weight 0\n    }\n"
              "    FILE_CHECK { track_file up\n weight 7 reverse }\n"));
  EXPECT_EQ(diags_.renderAll(), "");
  ASSERT_EQ(c.track_files.size(), 1u);
  EXPECT_EQ(c.track_files[0].weight, -3);
  EXPECT_TRUE(c.track_files[0].weight_reverse);
  EXPECT_EQ(c.track_files[0].init_file, 4);
  EXPECT_TRUE(c.track_files[0].init_file_overwrite);
  const auto& checkers = c.virtual_servers.at(0).real_servers.at(0).checkers;
  ASSERT_EQ(checkers.size(), 3u);
  EXPECT_EQ(std::get<model::FileCheck>(checkers[0].kind),
            (model::FileCheck{"up", std::nullopt, false}));
  EXPECT_EQ(std::get<model::FileCheck>(checkers[1].kind), (model::FileCheck{"up", 0, false}));
  EXPECT_EQ(std::get<model::FileCheck>(checkers[2].kind), (model::FileCheck{"up", 7, true}));
}

TEST_F(BindCheckTest, FileCheckProblemsAreErrorsAtTheirPlace) {
  read(
      withReal("    FILE_CHECK { track_file nowhere }\n"
               "    FILE_CHECK { weight 2 }\n"
               "    FILE_CHECK { track_file nowhere\n weight 2 sideways }\n"));
  EXPECT_EQ(diags_.errors(), 4u) << diags_.renderAll();
  const std::string all = diags_.renderAll();
  EXPECT_NE(all.find("keepalived.conf:7:5: error: FILE_CHECK has no track_file"), std::string::npos)
      << all;
  EXPECT_NE(all.find("keepalived.conf:9:11: error: expected reverse or noreverse, got 'sideways'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("FILE_CHECK track_file nowhere not found"), std::string::npos) << all;
  // keepalived's init_file VALUE overwrite, in either order
  model::Config c = read("track_file t {\n file /run/t\n init_file overwrite -2\n}\n");
  EXPECT_EQ(c.track_files.at(0).init_file, -2);
}

TEST_F(BindCheckTest, BfdCheckNamesABfdInstanceTheCheckersHear) {
  model::Config c = read(R"(bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
bfd_instance v1 {
  neighbor_ip 192.0.2.3
  vrrp
}
)" + withReal("    BFD_CHECK { name b1\n alpha }\n"
              "    BFD_CHECK { name v1 }\n"
              "    BFD_CHECK { name zz }\n"
              "    BFD_CHECK { alpha }\n"));
  const std::string all = diags_.renderAll();
  EXPECT_EQ(diags_.errors(), 3u) << all;
  EXPECT_NE(all.find("BFD_CHECK names the `vrrp`-only bfd_instance v1"), std::string::npos) << all;
  EXPECT_NE(all.find("BFD_CHECK names no bfd_instance zz"), std::string::npos) << all;
  EXPECT_NE(all.find("keepalived.conf:17:5: error: BFD_CHECK has no name"), std::string::npos)
      << all;
  const auto& checkers = c.virtual_servers.at(0).real_servers.at(0).checkers;
  ASSERT_EQ(checkers.size(), 3u);
  EXPECT_EQ(std::get<model::BfdCheck>(checkers[0].kind).name, "b1");
  EXPECT_TRUE(checkers[0].timing.alpha);
  EXPECT_FALSE(checkers[1].timing.alpha);
}

TEST_F(BindCheckTest, UdpCheckPayloadAndReplyAsKeepalivedParsesThem) {
  model::Config c = read(withReal(R"(    UDP_CHECK {
      payload Ab12f 3 456
      require_reply 50 4f 4X
      min_reply_length 3
      max_reply_length 1000
    }
    UDP_CHECK {
      require_reply
    }
)"));
  EXPECT_EQ(diags_.renderAll(), "");
  const auto& checkers = c.virtual_servers.at(0).real_servers.at(0).checkers;
  ASSERT_EQ(checkers.size(), 2u);
  const auto& u = std::get<model::UdpCheck>(checkers[0].kind);
  EXPECT_EQ(u.payload, (std::vector<std::uint8_t>{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06}));
  EXPECT_TRUE(u.require_reply);
  EXPECT_EQ(u.reply_data, (std::vector<std::uint8_t>{0x50, 0x4f, 0x40}));
  EXPECT_EQ(u.reply_mask, (std::vector<std::uint8_t>{0, 0, 0x0f}));
  EXPECT_EQ(u.min_reply_length, 3);
  EXPECT_EQ(u.max_reply_length, 1000);
  const auto& bare = std::get<model::UdpCheck>(checkers[1].kind);
  EXPECT_TRUE(bare.require_reply);
  EXPECT_TRUE(bare.reply_data.empty());
  EXPECT_EQ(bare.max_reply_length, 255) << "keepalived's default";
}

TEST_F(BindCheckTest, UdpCheckBadHexIsAnErrorAtItsPlace) {
  read(
      withReal("    UDP_CHECK {\n      payload 01 0x02\n      require_reply zz\n"
               "      max_reply_length 65536\n    }\n"
               "    UDP_CHECK {\n      min_reply_length 9\n      max_reply_length 8\n    }\n"));
  const std::string all = diags_.renderAll();
  EXPECT_EQ(diags_.errors(), 4u) << all;
  EXPECT_NE(all.find("UDP_CHECK min_reply_length 9 > max_reply_length 8 - will always fail"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("keepalived.conf:7:15: error: invalid payload \"01 0x02\": 'x' is not a "
                     "hex digit"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("keepalived.conf:8:21: error: invalid require_reply \"zz\""),
            std::string::npos)
      << all;
}

}  // namespace
}  // namespace keel::conf
