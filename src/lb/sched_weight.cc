// Weight-driven schedulers (IPVS ip_vs_fo, ip_vs_ovf, ip_vs_twos): the heaviest destination,
// the heaviest one below its weight in active connections, and the power of two weighted choices.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

// Available destinations with weight > 0, heaviest first, list order among equals; rebuilt by
// update() so fo and ovf usually decide by looking at the first entry.
std::vector<std::size_t> byWeight(std::span<const Dest> dests) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].weight > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return dests[a].weight > dests[b].weight; });
  return order;
}

// ovf (IPVS): a destination overflows once activeconns exceeds its weight.
bool belowWeight(const Dest& d) {
  return d.available() && std::uint64_t{d.active} <= static_cast<std::uint64_t>(d.weight);
}

class OrderScheduler final : public Scheduler {
 public:
  explicit OrderScheduler(bool overflow) : overflow_(overflow) {}

  std::string_view name() const override { return overflow_ ? "ovf" : "fo"; }
  void update(std::span<const Dest> dests) override { order_ = byWeight(dests); }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& /*flow*/,
                                  const PickContext& /*ctx*/) override {
    return choose(dests);
  }

  std::string explain(std::span<const Dest> dests, const Flow& /*flow*/) const override {
    std::optional<std::size_t> i = choose(dests);
    return fmt::format(
        "{} -> {}", overflow_ ? "highest weight with active <= weight" : "highest weight available",
        describeChoice(dests, i));
  }

 private:
  std::optional<std::size_t> choose(std::span<const Dest> dests) const {
    for (std::size_t i : order_) {
      if (i >= dests.size()) continue;
      if (overflow_ ? belowWeight(dests[i]) : dests[i].available()) return i;
    }
    return std::nullopt;
  }

  bool overflow_;
  std::vector<std::size_t> order_;
};

// A uniform draw in [0, total) from 32 random bits (multiply-shift, no division).
std::uint64_t scaled(std::uint32_t r, std::uint64_t total) {
  return (std::uint64_t{r} * total) >> 32;
}

// twos: two destinations drawn with probability proportional to weight (the low and the high
// 32 bits of ctx.random each make one draw), the lower overhead/weight of the two wins and the
// first draw wins ties. update() keeps the running weight sums for a binary search.
class TwosScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "twos"; }

  void update(std::span<const Dest> dests) override {
    cumulative_.assign(dests.size(), 0);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      if (dests[i].available()) sum += static_cast<std::uint64_t>(dests[i].weight);
      cumulative_[i] = sum;
    }
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& /*flow*/,
                                  const PickContext& ctx) override {
    return choose(dests, ctx.random);
  }

  std::string explain(std::span<const Dest> dests, const Flow& /*flow*/) const override {
    const std::size_t n = static_cast<std::size_t>(
        std::count_if(dests.begin(), dests.end(), [](const Dest& d) { return d.available(); }));
    return fmt::format(
        "two random choices by weight among {} available (total weight {}); lower "
        "overhead/weight wins; least now: {}",
        n, cumulative_.empty() ? 0 : cumulative_.back(),
        describeChoice(dests, leastOverheadPerWeight(dests)));
  }

 private:
  std::optional<std::size_t> draw(std::span<const Dest> dests, std::uint32_t r) const {
    const std::uint64_t x = scaled(r, cumulative_.back());
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
    const auto i = static_cast<std::size_t>(it - cumulative_.begin());
    if (i >= dests.size() || !dests[i].available()) return std::nullopt;
    return i;
  }

  std::optional<std::size_t> choose(std::span<const Dest> dests, std::uint64_t random) const {
    // A list that changed without update() (against the contract) gets wlc's choice.
    if (cumulative_.size() != dests.size() || cumulative_.empty() || cumulative_.back() == 0) {
      return leastOverheadPerWeight(dests);
    }
    std::optional<std::size_t> a = draw(dests, static_cast<std::uint32_t>(random));
    std::optional<std::size_t> b = draw(dests, static_cast<std::uint32_t>(random >> 32));
    if (!a && !b) return leastOverheadPerWeight(dests);
    if (!a || !b) return a ? a : b;
    const Dest& da = dests[*a];
    const Dest& db = dests[*b];
    return lighter(db.overhead(), db.weight, da.overhead(), da.weight) ? b : a;
  }

  std::vector<std::uint64_t> cumulative_;
};

}  // namespace

std::unique_ptr<Scheduler> makeFo() { return std::make_unique<OrderScheduler>(false); }
std::unique_ptr<Scheduler> makeOvf() { return std::make_unique<OrderScheduler>(true); }
std::unique_ptr<Scheduler> makeTwos() { return std::make_unique<TwosScheduler>(); }

}  // namespace keel::lb::sched
