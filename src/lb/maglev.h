// A weighted Maglev lookup table (Eisenbud et al., NSDI 2016; dataplane.md §3.1) that every
// director builds identically from the same backends: the result depends only on the set of
// (key, weight) pairs, never on their order. Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.h"
#include "lb/service_table.h"

namespace keel::lb {

inline constexpr std::uint32_t kDefaultMaglevSize = 65537;

struct MaglevBackend {
  RealKey key;
  std::uint32_t weight = 1;  // 0: gets no slot
};

struct MaglevTable {
  std::vector<RealKey> backends;     // the backends with weight > 0, sorted by key
  std::vector<std::uint32_t> slots;  // size M; each an index into `backends`

  bool empty() const { return backends.empty(); }
  // The backend index for a flow hash.
  std::uint32_t lookup(std::uint64_t hash) const { return slots[hash % slots.size()]; }
};

// REQUIRES: keys unique. Fails with InvalidArgument when `size` is not a prime in 3..16777259
// or when there are more backends with weight than `size`. With no backend of weight > 0 the
// table is empty (no slots).
base::Result<MaglevTable> buildMaglev(std::span<const MaglevBackend> backends,
                                      std::uint32_t size = kDefaultMaglevSize);

bool isPrime(std::uint32_t n);

// The stable 64-bit hash keel uses for Maglev permutations and flow hashing: the same on every
// director, build and CPU.
std::uint64_t stableHash(std::span<const std::uint8_t> bytes, std::uint64_t seed);

// SipHash-2-4 with the 128-bit key (k0, k1), each half read little-endian from the key bytes as
// the SipHash paper does. stableHash(bytes, seed) is sipHash24(seed, seed ^ 0x9e3779b97f4a7c15,
// bytes).
std::uint64_t sipHash24(std::uint64_t k0, std::uint64_t k1, std::span<const std::uint8_t> bytes);

}  // namespace keel::lb
