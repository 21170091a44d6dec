#include "app/dataplane_factory.h"

#include <gtest/gtest.h>

namespace keel::app {
namespace {

TEST(DataplaneFactory, AutoTriesXdpThenIpvsThenTheProxy) {
  EXPECT_EQ(backendOrder(model::DataplaneKind::Auto, true),
            (std::vector<Backend>{Backend::Xdp, Backend::Ipvs, Backend::Proxy}));
  EXPECT_EQ(backendOrder(model::DataplaneKind::Auto, false), std::vector<Backend>{Backend::Proxy});
}

TEST(DataplaneFactory, AnExplicitChoiceIsThatBackendOrNothing) {
  EXPECT_EQ(backendOrder(model::DataplaneKind::Ipvs, true), std::vector<Backend>{Backend::Ipvs});
  EXPECT_TRUE(backendOrder(model::DataplaneKind::Ipvs, false).empty());  // needs root
  EXPECT_TRUE(backendOrder(model::DataplaneKind::Xdp, false).empty());
  EXPECT_EQ(backendOrder(model::DataplaneKind::Proxy, false), std::vector<Backend>{Backend::Proxy});
  EXPECT_EQ(backendName(Backend::Ipvs), "ipvs");
}

}  // namespace
}  // namespace keel::app
