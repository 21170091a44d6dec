// dh and sh (IPVS ip_vs_dh, ip_vs_sh): a static 256-bucket table indexed by a multiplicative
// hash of the destination (dh) or source (sh) address, the source port added with sh-port.
#include <fmt/format.h>

#include <array>

#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

constexpr std::uint32_t kGoldenRatio = 2654435761u;  // Knuth's multiplicative hash constant
constexpr std::uint32_t kNoDest = UINT32_MAX;

// An IPv4 address in host order; an IPv6 address as the XOR of its four 32-bit words.
std::uint32_t foldAddress(const base::IpAddress& a) {
  if (a.isV4()) return a.v4HostOrder();
  std::span<const std::uint8_t> b = a.bytes();
  std::uint32_t fold = 0;
  for (std::size_t w = 0; w < 16; w += 4) {
    fold ^= (std::uint32_t{b[w]} << 24) | (std::uint32_t{b[w + 1]} << 16) |
            (std::uint32_t{b[w + 2]} << 8) | std::uint32_t{b[w + 3]};
  }
  return fold;
}

// The bucket: the top 8 bits of (address fold + port) * 2654435761 mod 2^32.
std::size_t bucketOf(const base::IpAddress& a, std::uint16_t port) {
  const std::uint32_t key = foldAddress(a) + port;
  return (key * kGoldenRatio) >> 24;
}

class HashScheduler final : public Scheduler {
 public:
  HashScheduler(bool source, bool port, bool fallback)
      : source_(source), port_(port), fallback_(fallback) {
    buckets_.fill(kNoDest);
  }

  std::string_view name() const override { return source_ ? "sh" : "dh"; }

  // IPVS's reassign: walk the buckets in order, giving each destination in turn `weight`
  // consecutive buckets (at least one, so a weight-0 destination holds a bucket it will refuse),
  // cycling through the list until all 256 are assigned.
  void update(std::span<const Dest> dests) override {
    buckets_.fill(kNoDest);
    if (dests.empty()) return;
    std::size_t d = 0;
    int taken = 0;
    for (std::uint32_t& b : buckets_) {
      b = static_cast<std::uint32_t>(d);
      if (++taken >= dests[d].weight) {
        taken = 0;
        if (++d == dests.size()) d = 0;
      }
    }
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& flow,
                                  const PickContext& /*ctx*/) override {
    return lookup(dests, bucket(flow)).dest;
  }

  std::string explain(std::span<const Dest> dests, const Flow& flow) const override {
    const std::size_t home = bucket(flow);
    const Found f = lookup(dests, home);
    const char* what =
        source_ ? (port_ ? "source address and port hash" : "source hash") : "destination hash";
    if (!f.dest)
      return fmt::format("bucket {} of {} ({}): no destination available", home, kHashBuckets,
                         what);
    if (f.bucket == home) {
      return fmt::format("bucket {} of {} ({}) -> {}", home, kHashBuckets, what,
                         describe(dests[*f.dest]));
    }
    return fmt::format("bucket {} of {} ({}) unavailable, fallback to bucket {} -> {}", home,
                       kHashBuckets, what, f.bucket, describe(dests[*f.dest]));
  }

 private:
  struct Found {
    std::optional<std::size_t> dest;
    std::size_t bucket = 0;
  };

  std::size_t bucket(const Flow& flow) const {
    if (!source_) return bucketOf(flow.vip, 0);
    return bucketOf(flow.client, port_ ? flow.client_port : std::uint16_t{0});
  }

  std::optional<std::size_t> usable(std::span<const Dest> dests, std::size_t b) const {
    const std::uint32_t d = buckets_[b];
    if (d >= dests.size() || !dests[d].available()) return std::nullopt;
    return d;
  }

  // The home bucket's destination; with fallback (sh-fallback), else the next buckets in turn.
  Found lookup(std::span<const Dest> dests, std::size_t home) const {
    if (auto d = usable(dests, home)) return {d, home};
    if (!fallback_ || buckets_[home] == kNoDest) return {};
    for (std::size_t k = 1; k < kHashBuckets; ++k) {
      const std::size_t b = (home + k) % kHashBuckets;
      if (auto d = usable(dests, b)) return {d, b};
    }
    return {};
  }

  bool source_;
  bool port_;
  bool fallback_;
  std::array<std::uint32_t, kHashBuckets> buckets_;
};

}  // namespace

std::unique_ptr<Scheduler> makeDh() { return std::make_unique<HashScheduler>(false, false, false); }
std::unique_ptr<Scheduler> makeSh(bool port, bool fallback) {
  return std::make_unique<HashScheduler>(true, port, fallback);
}

}  // namespace keel::lb::sched
