// Internals shared by the scheduler families (sched_*.cc): factories for each IPVS scheduler,
// the load comparisons they share and the timing constants of the locality schedulers. Not part
// of lb's interface; tests and benchmarks include it to reach the constants.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "lb/scheduler.h"

namespace keel::lb::sched {

// Source/destination hashing (dh, sh): a 256-bucket table (IPVS's IP_VS_SH_TAB_BITS = 8).
inline constexpr std::size_t kHashBuckets = 256;
// Maglev hashing (mh): IPVS's default table size, a prime.
inline constexpr std::uint32_t kMhTableSize = 4093;

// lblc/lblcr: an entry (lblc) or an unchanged server set (lblcr) idle this long is dropped
// (IPVS's default lblc_expiration / lblcr_expiration sysctls, 24 h).
inline constexpr std::chrono::microseconds kLocalityExpiration = std::chrono::hours(24);
// When the table holds more than kLocalityTableLimit entries, entries idle longer than
// kLocalityGcIdle go at the next check (IPVS: ENTRY_TIMEOUT, max_size = 16 * table size).
inline constexpr std::chrono::microseconds kLocalityGcIdle = std::chrono::minutes(6);
inline constexpr std::size_t kLocalityTableLimit = 16 * 1024;
// How often the table is checked for idle entries (IPVS: CHECK_EXPIRE_INTERVAL, 60 s).
inline constexpr std::chrono::microseconds kLocalityCheckInterval = std::chrono::seconds(60);

std::unique_ptr<Scheduler> makeRr();
std::unique_ptr<Scheduler> makeWrr();
std::unique_ptr<Scheduler> makeLc();
std::unique_ptr<Scheduler> makeWlc();
std::unique_ptr<Scheduler> makeSed();
std::unique_ptr<Scheduler> makeNq();
std::unique_ptr<Scheduler> makeFo();
std::unique_ptr<Scheduler> makeOvf();
std::unique_ptr<Scheduler> makeTwos();
std::unique_ptr<Scheduler> makeDh();
std::unique_ptr<Scheduler> makeSh(bool port, bool fallback);
std::unique_ptr<Scheduler> makeMh(bool port, bool fallback);
std::unique_ptr<Scheduler> makeLblc();
std::unique_ptr<Scheduler> makeLblcr();

// a / wa < b / wb for positive weights, by cross-multiplication (no division, no overflow).
inline bool lighter(std::uint64_t a, int wa, std::uint64_t b, int wb) {
  // Loads below 2^32 (active below 2^24) times weights below 2^31 fit 64 bits: the usual case.
  if (((a | b) >> 32) == 0) {
    return a * static_cast<std::uint32_t>(wb) < b * static_cast<std::uint32_t>(wa);
  }
  using Wide = unsigned __int128;
  return static_cast<Wide>(a) * static_cast<std::uint64_t>(wb) <
         static_cast<Wide>(b) * static_cast<std::uint64_t>(wa);
}

// sed and nq's load: activeconns + 1.
inline std::uint64_t expectedDelay(const Dest& d) { return std::uint64_t{d.active} + 1; }

// The available destination with the least load(d) / weight, the first of equals (IPVS wlc's
// loop); nullopt when none is available.
template <class Load>
std::optional<std::size_t> leastPerWeight(std::span<const Dest> dests, Load load) {
  std::size_t best = dests.size();
  std::uint64_t best_load = 0;
  int best_weight = 0;
  for (std::size_t i = 0; i < dests.size(); ++i) {
    const Dest& d = dests[i];
    if (!d.available()) continue;
    const std::uint64_t l = load(d);
    if (best == dests.size() || lighter(l, d.weight, best_load, best_weight)) {
      best = i;
      best_load = l;
      best_weight = d.weight;
    }
  }
  if (best == dests.size()) return std::nullopt;
  return best;
}

inline std::optional<std::size_t> leastOverheadPerWeight(std::span<const Dest> dests) {
  return leastPerWeight(dests, [](const Dest& d) { return d.overhead(); });
}

// "10.0.0.1:80 (active 3, inactive 1, weight 2)", for explain().
std::string describe(const Dest& d);
// describe(dests[i]) or "no destination available".
std::string describeChoice(std::span<const Dest> dests, std::optional<std::size_t> i);

}  // namespace keel::lb::sched
