// statsText over a fake backend: the layout keel.stats promises (docs/operations.md).
#include "dataplane/dataplane.h"

#include <gtest/gtest.h>

namespace keel::dataplane {
namespace {

class FakeDataplane final : public Dataplane {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view title() const override { return "Fake data plane"; }
  base::Status apply(std::shared_ptr<const lb::ServiceTable>) override { return base::ok(); }
  void reload(std::shared_ptr<const model::Config>) override {}
  base::Result<std::vector<ServiceStats>> stats() const override {
    if (fail_stats) return base::makeError(base::ErrorCode::State, "maps gone");
    lb::ServiceKey key{base::IpAddress::v4(0xc6120064), 80, lb::Protocol::Tcp, 0};
    RealStats real{{base::IpAddress::v4(0xc612000b), 80}, {1, 2, 3, 4, 5}, 6, 7};
    RealStats unknown{{base::IpAddress::v4(0xc612000c), 80}, {}, std::nullopt, std::nullopt};
    return std::vector<ServiceStats>{{key, {1, 2, 3, 4, 5}, {real, unknown}}};
  }
  base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const override {
    return std::vector<std::pair<std::string, std::uint64_t>>{{"drop_no_real", 9}};
  }
  base::Result<std::vector<Connection>> connections(std::size_t) const override { return {}; }

  bool fail_stats = false;
};

TEST(StatsTextTest, ServicesRealsThenNamedCounters) {
  FakeDataplane dp;
  EXPECT_EQ(statsText(dp),
            "Fake data plane\n"
            " Service TCP 198.18.0.100:80 conns 1 in_packets 2 in_bytes 3 out_packets 4 "
            "out_bytes 5\n"
            "  Real 198.18.0.11:80 conns 1 in_packets 2 in_bytes 3 out_packets 4 out_bytes 5 "
            "active 6 inactive 7\n"
            "  Real 198.18.0.12:80 conns 0 in_packets 0 in_bytes 0 out_packets 0 out_bytes 0\n"
            " drop_no_real 9\n");
  dp.fail_stats = true;
  EXPECT_EQ(statsText(dp),
            "Fake data plane\n statistics unavailable: maps gone\n drop_no_real 9\n");
}

}  // namespace
}  // namespace keel::dataplane
