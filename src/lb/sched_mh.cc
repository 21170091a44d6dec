// mh (IPVS ip_vs_mh): a weighted Maglev table of kMhTableSize slots keyed by the source address,
// plus the source port with mh-port; mh-fallback probes further slots when the slot's server is
// unavailable. The table is lb::buildMaglev's, so it does not depend on the order of the
// destinations, and flows hash with lb::stableHash, the same on every director.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "lb/maglev.h"
#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

std::uint64_t hashEndpoint(const base::IpAddress& a, std::uint16_t port, std::uint64_t seed) {
  std::array<std::uint8_t, 18> buf{};
  std::span<const std::uint8_t> addr = a.bytes();
  std::copy(addr.begin(), addr.end(), buf.begin());
  buf[addr.size()] = static_cast<std::uint8_t>(port >> 8);
  buf[addr.size() + 1] = static_cast<std::uint8_t>(port & 0xff);
  return stableHash(std::span<const std::uint8_t>(buf.data(), addr.size() + 2), seed);
}

// lb::buildMaglev's table (indices into its key-sorted backends) as indices into `dests`.
std::vector<std::uint32_t> mhTable(std::span<const Dest> dests,
                                   std::span<const MaglevBackend> backends) {
  auto built = buildMaglev(backends, kMhTableSize);
  if (!built || built->empty()) return {};
  std::vector<std::pair<RealKey, std::uint32_t>> index;
  index.reserve(dests.size());
  for (std::size_t i = 0; i < dests.size(); ++i) {
    index.emplace_back(dests[i].key, static_cast<std::uint32_t>(i));
  }
  std::sort(index.begin(), index.end());
  std::vector<std::uint32_t> to_dest(built->backends.size());
  for (std::size_t j = 0; j < built->backends.size(); ++j) {
    auto it = std::lower_bound(index.begin(), index.end(), built->backends[j],
                               [](const auto& entry, const RealKey& k) { return entry.first < k; });
    to_dest[j] = it->second;
  }
  std::vector<std::uint32_t> table(built->slots.size());
  for (std::size_t s = 0; s < table.size(); ++s) table[s] = to_dest[built->slots[s]];
  return table;
}

class MhScheduler final : public Scheduler {
 public:
  MhScheduler(bool port, bool fallback) : port_(port), fallback_(fallback) {}

  std::string_view name() const override { return "mh"; }

  // A destination set to weight 0 keeps the slots of its last positive weight (IPVS's
  // last_weight), so quiescing one server moves no other server's flows.
  void update(std::span<const Dest> dests) override {
    std::vector<MaglevBackend> backends;
    std::vector<LastWeight> next;
    for (const Dest& d : dests) {
      const int weight = d.weight > 0 ? d.weight : lastWeight(d.key);
      if (weight <= 0) continue;
      backends.push_back({d.key, static_cast<std::uint32_t>(weight)});
      next.push_back({d.key, weight});
    }
    std::sort(next.begin(), next.end(),
              [](const LastWeight& a, const LastWeight& b) { return a.key < b.key; });
    last_weights_ = std::move(next);
    table_ = mhTable(dests, backends);
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& flow,
                                  const PickContext& /*ctx*/) override {
    return lookup(dests, flow).dest;
  }

  std::string explain(std::span<const Dest> dests, const Flow& flow) const override {
    const Found f = lookup(dests, flow);
    const char* what = port_ ? "source address and port hash" : "source hash";
    if (!f.dest) return fmt::format("maglev ({}): no destination available", what);
    return fmt::format("maglev slot {} of {} ({}{}) -> {}", f.slot, kMhTableSize, what,
                       f.fallback ? ", fallback" : "", describe(dests[*f.dest]));
  }

 private:
  struct LastWeight {
    RealKey key;
    int weight = 0;
  };
  struct Found {
    std::optional<std::size_t> dest;
    std::uint32_t slot = 0;
    bool fallback = false;
  };

  int lastWeight(const RealKey& key) const {
    auto it = std::lower_bound(last_weights_.begin(), last_weights_.end(), key,
                               [](const LastWeight& a, const RealKey& k) { return a.key < k; });
    return it != last_weights_.end() && it->key == key ? it->weight : 0;
  }

  std::optional<std::size_t> usable(std::span<const Dest> dests, std::uint32_t slot) const {
    const std::uint32_t d = table_[slot];
    if (d >= dests.size() || !dests[d].available()) return std::nullopt;
    return d;
  }

  // The flow's slot; with fallback, a second hash of the flow gives a stride that visits every
  // other slot (the size is prime) until one holds an available server.
  Found lookup(std::span<const Dest> dests, const Flow& flow) const {
    if (table_.empty()) return {};
    const std::uint16_t port = port_ ? flow.client_port : 0;
    std::uint32_t slot =
        static_cast<std::uint32_t>(hashEndpoint(flow.client, port, 3) % kMhTableSize);
    if (auto d = usable(dests, slot)) return {d, slot, false};
    if (!fallback_) return {std::nullopt, slot, false};
    const auto step =
        static_cast<std::uint32_t>(hashEndpoint(flow.client, port, 4) % (kMhTableSize - 1) + 1);
    for (std::uint32_t k = 1; k < kMhTableSize; ++k) {
      slot = (slot + step) % kMhTableSize;
      if (auto d = usable(dests, slot)) return {d, slot, true};
    }
    return {};
  }

  bool port_;
  bool fallback_;
  std::vector<std::uint32_t> table_;      // kMhTableSize slots of indices into the list
  std::vector<LastWeight> last_weights_;  // sorted by key
};

}  // namespace

std::unique_ptr<Scheduler> makeMh(bool port, bool fallback) {
  return std::make_unique<MhScheduler>(port, fallback);
}

}  // namespace keel::lb::sched
