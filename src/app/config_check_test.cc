// keeld -t on files written here: keepalived's exit codes for a missing file, a clean file and
// one keel refuses (a DR virtual server under keel_dataplane proxy).
#include "app/config_check.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace keel::app {
namespace {

class ConfigCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-config-check-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int check(const std::string& text) {
    KeeldOptions options;
    options.config_file = dir_ + "/keepalived.conf";
    std::ofstream(options.config_file) << text;
    return runConfigCheck(options);
  }

  std::string dir_;
};

constexpr const char* kServer = R"(virtual_server 127.0.0.1 8080 {
  lb_algo rr
  lb_kind %s
  protocol TCP
  real_server 127.0.0.2 8080 {
  }
}
)";

std::string conf(const char* kind, const char* global = "") {
  std::string out = global;
  char buf[256];
  std::snprintf(buf, sizeof buf, kServer, kind);
  return out + buf;
}

TEST_F(ConfigCheckTest, AMissingMainFileIsNotAnErrorWithoutDashE) {
  KeeldOptions options;
  options.config_file = dir_ + "/absent.conf";
  EXPECT_EQ(runConfigCheck(options), kConfigCheckOk);
  options.all_config = true;
  EXPECT_EQ(runConfigCheck(options), kConfigCheckCannotRun);
}

TEST_F(ConfigCheckTest, DirectRoutingUnderTheProxyIsAnError) {
  EXPECT_EQ(check(conf("NAT")), kConfigCheckOk);
  EXPECT_EQ(check(conf("DR")), kConfigCheckOk);  // auto: XDP serves DR
  const char* proxy = "global_defs {\n  keel_dataplane proxy\n}\n";
  EXPECT_EQ(check(conf("NAT", proxy)), kConfigCheckOk);
  EXPECT_EQ(check(conf("DR", proxy)), kConfigCheckErrors);
  EXPECT_EQ(check(conf("TUN", proxy)), kConfigCheckErrors);
}

}  // namespace
}  // namespace keel::app
