// Google Benchmark: nanoseconds per scheduling decision for every lb scheduler at 10 and 1000
// destinations (lb::Scheduler::pick on a prepared list, varying client and random value).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lb/scheduler.h"

namespace keel::lb {
namespace {

std::vector<Dest> makeDests(int n) {
  std::vector<Dest> d;
  for (int i = 0; i < n; ++i) {
    Dest x;
    x.key = {base::IpAddress::v4(0xC6120000u + static_cast<std::uint32_t>(i) + 1), 80};
    x.weight = 1 + i % 7;
    x.active = static_cast<std::uint32_t>((i * 37) % 50);
    x.inactive = static_cast<std::uint32_t>((i * 11) % 300);
    d.push_back(x);
  }
  return d;
}

// Args: scheduler index in schedulerNames() (or 14/15 for sh/mh with fallback+port), dests.
void BM_Pick(benchmark::State& state) {
  const auto which = static_cast<std::size_t>(state.range(0));
  const std::vector<Dest> dests = makeDests(static_cast<int>(state.range(1)));
  std::vector<std::string> flags;
  std::string_view name;
  if (which < schedulerNames().size()) {
    name = schedulerNames()[which];
  } else {
    name = which == schedulerNames().size() ? "sh" : "mh";
    flags = {std::string(name) + "-port", std::string(name) + "-fallback"};
  }
  auto made = makeScheduler(name, flags);
  if (!made) {
    state.SkipWithError(made.error().message.c_str());
    return;
  }
  Scheduler& s = **made;
  s.update(dests);
  state.SetLabel(std::string(name) + (flags.empty() ? "" : "+port+fallback"));
  Flow flow;
  flow.vip = base::IpAddress::v4(0xC6120064u);
  flow.vport = 80;
  PickContext ctx;
  std::uint64_t x = 88172645463325252ull;
  std::uint32_t i = 0;
  for (auto _ : state) {
    x ^= x << 13;  // xorshift64: a fresh client, port and random value per pick
    x ^= x >> 7;
    x ^= x << 17;
    flow.client = base::IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(x & 0xFFFF));
    flow.client_port = static_cast<std::uint16_t>(x >> 48);
    ctx.random = x;
    ctx.now = std::chrono::microseconds(++i);
    benchmark::DoNotOptimize(s.pick(dests, flow, ctx));
  }
}

void schedulerArgs(benchmark::internal::Benchmark* b) {
  for (std::int64_t which = 0; which < static_cast<std::int64_t>(schedulerNames().size()) + 2;
       ++which) {
    for (std::int64_t n : {10, 1000}) b->Args({which, n});
  }
}

BENCHMARK(BM_Pick)->Apply(schedulerArgs);

}  // namespace
}  // namespace keel::lb
