// Google Benchmark figures for the Maglev builder: the time to build a table of the default size
// (65537) for 100 and 1000 backends with mixed weights (1..5), plus one flow lookup and one
// stableHash of a flow's bytes. The goal (dataplane.md §3.1, the brief of this module) is under
// 50 ms for 1000 backends; a control plane rebuilds on every membership or weight change.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "lb/maglev.h"

namespace {

std::vector<keel::lb::MaglevBackend> backends(std::uint32_t n) {
  std::vector<keel::lb::MaglevBackend> out;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    out.push_back(
        {keel::lb::RealKey{keel::base::IpAddress::v4(0x0a000000 + i + 1), 80}, 1 + i % 5});
  }
  return out;
}

void BM_MaglevBuild(benchmark::State& state) {
  const auto input = backends(static_cast<std::uint32_t>(state.range(0)));
  const auto size = static_cast<std::uint32_t>(state.range(1));
  for (auto _ : state) {
    auto table = keel::lb::buildMaglev(input, size);
    benchmark::DoNotOptimize(table);
  }
}
BENCHMARK(BM_MaglevBuild)
    ->Args({100, keel::lb::kDefaultMaglevSize})
    ->Args({1000, keel::lb::kDefaultMaglevSize})
    ->Unit(benchmark::kMillisecond);

void BM_MaglevLookup(benchmark::State& state) {
  const auto input = backends(1000);
  const auto table = *keel::lb::buildMaglev(input);
  std::uint64_t h = 0x243f6a8885a308d3;
  for (auto _ : state) {
    h = h * 6364136223846793005u + 1442695040888963407u;
    benchmark::DoNotOptimize(table.lookup(h));
  }
}
BENCHMARK(BM_MaglevLookup);

void BM_StableHashFlow(benchmark::State& state) {
  std::array<std::uint8_t, 37> flow{};  // protocol, two v6 addresses, two ports
  std::uint8_t n = 0;
  for (auto _ : state) {
    flow[36] = n++;
    benchmark::DoNotOptimize(keel::lb::stableHash(flow, 1));
  }
}
BENCHMARK(BM_StableHashFlow);

}  // namespace
