// The control-plane cost of a health change in a large table (10,000 services): health event ->
// new desired table, which shares every service the event did not touch.
#include <benchmark/benchmark.h>

#include "lb/desired_state.h"
#include "model/validate.h"

namespace {

using keel::base::IpAddress;

std::shared_ptr<const keel::model::Config> bigConfig(int services, int reals) {
  auto c = std::make_shared<keel::model::Config>();
  for (int s = 0; s < services; ++s) {
    keel::model::VirtualServer vs;
    vs.key = keel::model::VsAddress{IpAddress::v4(0xc6120000u + static_cast<std::uint32_t>(s)), 80};
    vs.scheduler = "rr";
    for (int r = 0; r < reals; ++r) {
      keel::model::RealServer rs;
      rs.address = IpAddress::v4(0xc6130000u + static_cast<std::uint32_t>(r));
      rs.port = 80;
      rs.checkers.emplace_back();
      vs.real_servers.push_back(rs);
    }
    c->virtual_servers.push_back(std::move(vs));
  }
  return c;
}

void BM_HealthEventToTable(benchmark::State& state) {
  auto config = bigConfig(static_cast<int>(state.range(0)), 10);
  keel::lb::DesiredState desired(config);
  const auto& vs = config->virtual_servers[config->virtual_servers.size() / 2];
  keel::model::HealthEvent down{
      {keel::model::VirtualServerId::of(vs), vs.real_servers[3].address, 80}, false, std::nullopt};
  keel::model::HealthEvent up = down;
  up.up = true;
  bool flip = false;
  for (auto _ : state) {
    desired.onHealth(flip ? up : down);
    flip = !flip;
    benchmark::DoNotOptimize(desired.table());
  }
}
BENCHMARK(BM_HealthEventToTable)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
