// rr and wrr (IPVS ip_vs_rr, ip_vs_wrr): cyclic schedulers with a cursor that update() resets.
#include <fmt/format.h>

#include <numeric>

#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

// The first available destination at or after `start`, cyclically.
std::optional<std::size_t> nextAvailable(std::span<const Dest> dests, std::size_t start) {
  const std::size_t n = dests.size();
  if (start >= n) start = 0;
  std::size_t i = start;
  for (std::size_t k = 0; k < n; ++k) {
    if (dests[i].available()) return i;
    if (++i == n) i = 0;
  }
  return std::nullopt;
}

class RrScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  void update(std::span<const Dest> /*dests*/) override { next_ = 0; }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& /*flow*/,
                                  const PickContext& /*ctx*/) override {
    std::optional<std::size_t> i = nextAvailable(dests, next_);
    if (i) next_ = *i + 1;
    return i;
  }

  std::string explain(std::span<const Dest> dests, const Flow& /*flow*/) const override {
    std::optional<std::size_t> i = nextAvailable(dests, next_);
    return fmt::format("round robin: next available from position {} of {} -> {}",
                       next_ < dests.size() ? next_ : 0, dests.size(), describeChoice(dests, i));
  }

 private:
  std::size_t next_ = 0;  // where the next search starts: one past the last pick
};

// IPVS's interleaved weighted round robin. The cursor sits before the first destination
// (kHead) with current weight 0; each time it wraps to the first destination the current weight
// drops by the gcd of the weights, and from 0 or below back to the maximum weight. A destination
// is picked when available with weight >= the current weight.
struct WrrCursor {
  static constexpr std::size_t kHead = SIZE_MAX;
  std::size_t at = kHead;
  int cw = 0;
};

int maxAvailableWeight(std::span<const Dest> dests) {
  int top = 0;
  for (const Dest& d : dests) {
    if (d.available() && d.weight > top) top = d.weight;
  }
  return top;
}

// Advances `c` to the next pick. Levels above the heaviest available destination pick nothing,
// so the wrap jumps straight to that weight (same sequence as stepping, bounded work: at most
// two passes over the list).
std::optional<std::size_t> wrrStep(std::span<const Dest> dests, int mw, int gcd, WrrCursor& c) {
  const std::size_t n = dests.size();
  if (mw <= 0 || n == 0) return std::nullopt;
  for (std::size_t guard = 0; guard < 2 * n + 2; ++guard) {
    if (c.at == WrrCursor::kHead || c.at + 1 >= n) {
      c.at = 0;
      c.cw -= gcd;
      if (c.cw <= 0) c.cw = mw;
      const int top = maxAvailableWeight(dests);
      if (top <= 0) {
        c = WrrCursor{};
        return std::nullopt;
      }
      if (c.cw > top) c.cw = top;
    } else {
      ++c.at;
    }
    if (dests[c.at].available() && dests[c.at].weight >= c.cw) return c.at;
  }
  return std::nullopt;
}

class WrrScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "wrr"; }

  void update(std::span<const Dest> dests) override {
    mw_ = 0;
    gcd_ = 0;
    for (const Dest& d : dests) {
      if (d.weight <= 0) continue;
      mw_ = std::max(mw_, d.weight);
      gcd_ = std::gcd(gcd_, d.weight);
    }
    if (gcd_ == 0) gcd_ = 1;
    cursor_ = WrrCursor{};
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& /*flow*/,
                                  const PickContext& /*ctx*/) override {
    return wrrStep(dests, mw_, gcd_, cursor_);
  }

  std::string explain(std::span<const Dest> dests, const Flow& /*flow*/) const override {
    WrrCursor c = cursor_;
    std::optional<std::size_t> i = wrrStep(dests, mw_, gcd_, c);
    return fmt::format("weighted round robin: current weight {} (max {}, step {}) -> {}", c.cw, mw_,
                       gcd_, describeChoice(dests, i));
  }

 private:
  int mw_ = 0;
  int gcd_ = 1;
  WrrCursor cursor_;
};

}  // namespace

std::unique_ptr<Scheduler> makeRr() { return std::make_unique<RrScheduler>(); }
std::unique_ptr<Scheduler> makeWrr() { return std::make_unique<WrrScheduler>(); }

}  // namespace keel::lb::sched
