#include "check/probe_factory.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "check/http_probe.h"
#include "check/misc_probe.h"
#include "check/tcp_probe.h"

namespace keel::check {
namespace {

class ProbeFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = event::Loop::create(clock_);
    ASSERT_TRUE(loop);
    loop_ = std::move(*loop);
    target_.endpoint = base::Endpoint(base::IpAddress::v4(0x7f000001), 80);
  }

  base::Result<std::unique_ptr<Probe>> make(model::Checker checker) {
    return factory_(*loop_, checker, target_);
  }
  static model::Checker of(auto kind) {
    model::Checker c;
    c.kind = kind;
    return c;
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  ProbeTarget target_;
  int policy_calls_ = 0;
  ProbeFactory factory_ = makeProbeFactory([this] {
    ++policy_calls_;
    return event::ScriptPolicy{};
  });
};

TEST_F(ProbeFactoryTest, MakesTheProbeOfEachKind) {
  auto tcp = make(of(model::TcpCheck{}));
  ASSERT_TRUE(tcp);
  EXPECT_NE(dynamic_cast<TcpProbe*>(tcp->get()), nullptr);
  auto http = make(of(model::HttpCheck{}));
  ASSERT_TRUE(http);
  EXPECT_NE(dynamic_cast<HttpProbe*>(http->get()), nullptr);
  auto ssl = make(of(model::HttpCheck{.tls = true}));
  ASSERT_TRUE(ssl);
  EXPECT_NE(dynamic_cast<HttpProbe*>(ssl->get()), nullptr);
  for (const model::Checker& c : {of(model::DnsCheck{}), of(model::SmtpCheck{}),
                                  of(model::UdpCheck{}), of(model::PingCheck{})}) {
    auto probe = make(c);
    ASSERT_TRUE(probe);
    EXPECT_NE(probe->get(), nullptr);
  }
}

TEST_F(ProbeFactoryTest, AsksForTheScriptPolicyForEachMiscProbe) {
  model::MiscCheck misc;
  misc.path.argv = {"/bin/true"};
  ASSERT_TRUE(make(of(misc)));
  ASSERT_TRUE(make(of(misc)));
  EXPECT_EQ(policy_calls_, 2);
  EXPECT_TRUE(make(of(model::TcpCheck{})));
  EXPECT_EQ(policy_calls_, 2);
}

TEST_F(ProbeFactoryTest, FileCheckIsUnsupported) {
  auto file = make(of(model::FileCheck{}));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, base::ErrorCode::Unsupported);
}

}  // namespace
}  // namespace keel::check
