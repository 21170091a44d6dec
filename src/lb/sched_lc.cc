// The least-connection family (IPVS ip_vs_lc, ip_vs_wlc, ip_vs_sed, ip_vs_nq): stateless scans
// for the available destination with the least load, the first of equals.
#include <fmt/format.h>

#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

// lc: minimum overhead (active * 256 + inactive), weights ignored beyond availability.
std::optional<std::size_t> leastOverhead(std::span<const Dest> dests) {
  std::optional<std::size_t> best;
  std::uint64_t best_load = 0;
  for (std::size_t i = 0; i < dests.size(); ++i) {
    if (!dests[i].available()) continue;
    const std::uint64_t l = dests[i].overhead();
    if (!best || l < best_load) {
      best = i;
      best_load = l;
    }
  }
  return best;
}

// nq: the first available destination without active connections, otherwise sed's choice.
std::optional<std::size_t> neverQueue(std::span<const Dest> dests) {
  for (std::size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].available() && dests[i].active == 0) return i;
  }
  return leastPerWeight(dests, [](const Dest& d) { return expectedDelay(d); });
}

enum class Kind { Lc, Wlc, Sed, Nq };

class LeastScheduler final : public Scheduler {
 public:
  explicit LeastScheduler(Kind kind) : kind_(kind) {}

  std::string_view name() const override {
    switch (kind_) {
      case Kind::Lc:
        return "lc";
      case Kind::Wlc:
        return "wlc";
      case Kind::Sed:
        return "sed";
      case Kind::Nq:
        return "nq";
    }
    return "lc";
  }

  void update(std::span<const Dest> /*dests*/) override {}

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& /*flow*/,
                                  const PickContext& /*ctx*/) override {
    return choose(dests);
  }

  std::string explain(std::span<const Dest> dests, const Flow& /*flow*/) const override {
    std::optional<std::size_t> i = choose(dests);
    if (!i) return "no destination available";
    const Dest& d = dests[*i];
    switch (kind_) {
      case Kind::Lc:
        return fmt::format("least overhead {} -> {}", d.overhead(), describe(d));
      case Kind::Wlc:
        return fmt::format("least overhead/weight {}/{} -> {}", d.overhead(), d.weight,
                           describe(d));
      case Kind::Nq:
        if (d.active == 0) return fmt::format("idle (no active connections) -> {}", describe(d));
        [[fallthrough]];
      case Kind::Sed:
        return fmt::format("least (active+1)/weight {}/{} -> {}", expectedDelay(d), d.weight,
                           describe(d));
    }
    return describe(d);
  }

 private:
  std::optional<std::size_t> choose(std::span<const Dest> dests) const {
    switch (kind_) {
      case Kind::Lc:
        return leastOverhead(dests);
      case Kind::Wlc:
        return leastOverheadPerWeight(dests);
      case Kind::Sed:
        return leastPerWeight(dests, [](const Dest& d) { return expectedDelay(d); });
      case Kind::Nq:
        return neverQueue(dests);
    }
    return std::nullopt;
  }

  Kind kind_;
};

}  // namespace

std::unique_ptr<Scheduler> makeLc() { return std::make_unique<LeastScheduler>(Kind::Lc); }
std::unique_ptr<Scheduler> makeWlc() { return std::make_unique<LeastScheduler>(Kind::Wlc); }
std::unique_ptr<Scheduler> makeSed() { return std::make_unique<LeastScheduler>(Kind::Sed); }
std::unique_ptr<Scheduler> makeNq() { return std::make_unique<LeastScheduler>(Kind::Nq); }

}  // namespace keel::lb::sched
