// The weighted Maglev builder and keel's stable hash. stableHash is SipHash-2-4 (Aumasson and
// Bernstein, 2012) keyed from a 64-bit seed, written here from the paper's description so that
// every director, compiler and CPU computes the same value. The builder sorts the backends by
// key, derives each one's permutation (offset, skip) from two differently seeded hashes of its
// key bytes, and fills the table in rounds: every round each backend adds its weight to an
// accumulator and takes one turn (its next preferred free slot) each time the accumulator reaches
// the largest weight, so turns, and therefore slots, are proportional to weight.
#include "lb/maglev.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace keel::lb {

namespace {

constexpr std::uint32_t kMaxMaglevSize = 16777259;         // the first prime above 2^24
constexpr std::uint64_t kOffsetSeed = 0x6b65656c2d6f6666;  // "keel-off"
constexpr std::uint64_t kSkipSeed = 0x6b65656c2d736b70;    // "keel-skp"
constexpr std::uint64_t kSeedTweak = 0x9e3779b97f4a7c15;   // 2^64 / golden ratio
constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }

  void compress(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

// Little-endian load of up to 8 bytes.
std::uint64_t loadLe(const std::uint8_t* p, std::size_t n) {
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < n; ++i) w |= std::uint64_t{p[i]} << (8 * i);
  return w;
}

// Little-endian load of exactly 8 bytes, as one load on a little-endian CPU.
std::uint64_t loadLe8(const std::uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  } else {
    return loadLe(p, 8);
  }
}

// The bytes a backend is hashed by: family (4 or 6), 16 address bytes (an IPv4 address padded
// with zeros), the port in network order.
std::array<std::uint8_t, 19> keyBytes(const RealKey& key) {
  std::array<std::uint8_t, 19> out{};
  out[0] = key.address.isV4() ? 4 : 6;
  auto addr = key.address.bytes();
  std::copy(addr.begin(), addr.end(), out.begin() + 1);
  out[17] = static_cast<std::uint8_t>(key.port >> 8);
  out[18] = static_cast<std::uint8_t>(key.port & 0xff);
  return out;
}

// One backend's state while the table fills.
struct Filler {
  std::uint32_t weight;
  std::uint32_t skip;
  std::uint32_t next;  // the next slot of its permutation to try
  std::uint64_t credit = 0;
};

base::Status validate(std::uint32_t size, std::size_t weighted) {
  if (size < 3 || size > kMaxMaglevSize || !isPrime(size)) {
    return base::makeError(
        base::ErrorCode::InvalidArgument,
        fmt::format("maglev table size {} is not a prime in 3..{}", size, kMaxMaglevSize));
  }
  if (weighted > size) {
    return base::makeError(
        base::ErrorCode::InvalidArgument,
        fmt::format("maglev table size {} is smaller than its {} backends", size, weighted));
  }
  return base::ok();
}

// Fills `slots` (all kEmpty) in weighted rounds; see the file comment.
void fill(std::vector<Filler>& fillers, std::vector<std::uint32_t>& slots) {
  const auto m = static_cast<std::uint32_t>(slots.size());
  std::uint64_t max_weight = 0;
  for (const Filler& f : fillers) max_weight = std::max<std::uint64_t>(max_weight, f.weight);
  std::uint32_t filled = 0;
  while (true) {
    for (std::uint32_t i = 0; i < fillers.size(); ++i) {
      Filler& f = fillers[i];
      f.credit += f.weight;
      if (f.credit < max_weight) continue;
      f.credit -= max_weight;
      // Every permutation visits every slot, so a free one is found while the table has one.
      std::uint32_t slot = f.next;
      while (slots[slot] != kEmpty) {
        slot += f.skip;
        if (slot >= m) slot -= m;
      }
      slots[slot] = i;
      f.next = slot + f.skip >= m ? slot + f.skip - m : slot + f.skip;
      if (++filled == m) return;
    }
  }
}

}  // namespace

std::uint64_t sipHash24(std::uint64_t k0, std::uint64_t k1, std::span<const std::uint8_t> bytes) {
  SipState s{k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261,
             k1 ^ 0x7465646279746573};
  const std::size_t whole = bytes.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) s.compress(loadLe8(bytes.data() + i));
  std::uint64_t last = loadLe(bytes.data() + whole, bytes.size() - whole);
  last |= std::uint64_t{bytes.size() & 0xff} << 56;
  s.compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t stableHash(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  return sipHash24(seed, seed ^ kSeedTweak, bytes);
}

bool isPrime(std::uint32_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  if (n % 3 == 0) return n == 3;
  for (std::uint64_t d = 5; d * d <= n; d += 6) {
    if (n % d == 0 || n % (d + 2) == 0) return false;
  }
  return true;
}

base::Result<MaglevTable> buildMaglev(std::span<const MaglevBackend> backends, std::uint32_t size) {
  std::vector<MaglevBackend> weighted;
  weighted.reserve(backends.size());
  for (const MaglevBackend& b : backends) {
    if (b.weight > 0) weighted.push_back(b);
  }
  KEEL_TRY(validate(size, weighted.size()));
  std::sort(weighted.begin(), weighted.end(),
            [](const MaglevBackend& a, const MaglevBackend& b) { return a.key < b.key; });

  MaglevTable table;
  if (weighted.empty()) return table;
  table.backends.reserve(weighted.size());
  std::vector<Filler> fillers;
  fillers.reserve(weighted.size());
  for (const MaglevBackend& b : weighted) {
    const auto bytes = keyBytes(b.key);
    const auto offset = static_cast<std::uint32_t>(stableHash(bytes, kOffsetSeed) % size);
    const auto skip = static_cast<std::uint32_t>(stableHash(bytes, kSkipSeed) % (size - 1) + 1);
    fillers.push_back(Filler{b.weight, skip, offset});
    table.backends.push_back(b.key);
  }
  table.slots.assign(size, kEmpty);
  fill(fillers, table.slots);
  return table;
}

}  // namespace keel::lb
