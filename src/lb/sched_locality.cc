// lblc and lblcr (IPVS ip_vs_lblc, ip_vs_lblcr): locality-based least connection, keyed by the
// flow's destination address, with idle entries expiring by PickContext::now.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "lb/sched_internal.h"

namespace keel::lb::sched {
namespace {

using std::chrono::microseconds;
constexpr std::size_t kGone = SIZE_MAX;

// IPVS's is_overloaded for lblc/lblcr: more active connections than weight while some server
// in the cluster is below half of its weight.
bool overloadedInCluster(const Dest& d, std::span<const Dest> dests) {
  if (std::int64_t{d.active} <= d.weight) return false;
  return std::any_of(dests.begin(), dests.end(), [](const Dest& o) {
    return std::int64_t{o.active} * 2 < std::int64_t{o.weight};
  });
}

// A server remembered by key, with its index in the current list (kGone once removed).
struct Member {
  RealKey key;
  std::size_t index = kGone;
};

// Key -> index of the list given to update(), for re-finding remembered servers.
class KeyIndex {
 public:
  void rebuild(std::span<const Dest> dests) {
    sorted_.clear();
    for (std::size_t i = 0; i < dests.size(); ++i) sorted_.push_back({dests[i].key, i});
    std::sort(sorted_.begin(), sorted_.end(),
              [](const Member& a, const Member& b) { return a.key < b.key; });
  }
  std::size_t find(const RealKey& key) const {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), key,
                               [](const Member& m, const RealKey& k) { return m.key < k; });
    return it != sorted_.end() && it->key == key ? it->index : kGone;
  }

 private:
  std::vector<Member> sorted_;
};

// The per-address table both schedulers keep, with IPVS's two kinds of cleanup: entries idle
// past kLocalityExpiration go, and while the table is over kLocalityTableLimit entries, entries
// idle past kLocalityGcIdle go too. Checked at most every kLocalityCheckInterval.
template <class Entry>
class LocalityTable {
 public:
  std::unordered_map<base::IpAddress, Entry>& entries() { return entries_; }
  const std::unordered_map<base::IpAddress, Entry>& entries() const { return entries_; }

  // The live entry for `addr`, or nullptr (an expired one is erased).
  Entry* find(const base::IpAddress& addr, microseconds now) {
    auto it = entries_.find(addr);
    if (it == entries_.end()) return nullptr;
    if (now - it->second.last_use > kLocalityExpiration) {
      entries_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  void expire(microseconds now) {
    if (checked_ && now - last_check_ < kLocalityCheckInterval) return;
    checked_ = true;
    last_check_ = now;
    const microseconds idle =
        entries_.size() > kLocalityTableLimit ? kLocalityGcIdle : kLocalityExpiration;
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_use > idle; });
  }

 private:
  std::unordered_map<base::IpAddress, Entry> entries_;
  bool checked_ = false;
  microseconds last_check_{};
};

struct LblcEntry {
  Member dest;
  microseconds last_use{};
};

// lblc: keep the address's server unless it is unavailable or overloaded in the cluster sense;
// then the wlc choice takes over the entry.
class LblcScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "lblc"; }

  void update(std::span<const Dest> dests) override {
    index_.rebuild(dests);
    for (auto& [addr, e] : table_.entries()) e.dest.index = index_.find(e.dest.key);
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& flow,
                                  const PickContext& ctx) override {
    table_.expire(ctx.now);
    if (LblcEntry* e = table_.find(flow.vip, ctx.now)) {
      e->last_use = ctx.now;
      if (keeps(dests, e->dest.index)) return e->dest.index;
    }
    std::optional<std::size_t> c = leastOverheadPerWeight(dests);
    if (!c) return std::nullopt;
    table_.entries().insert_or_assign(flow.vip, LblcEntry{{dests[*c].key, *c}, ctx.now});
    return c;
  }

  std::string explain(std::span<const Dest> dests, const Flow& flow) const override {
    auto it = table_.entries().find(flow.vip);
    if (it != table_.entries().end() && keeps(dests, it->second.dest.index)) {
      return fmt::format("destination {} keeps its server -> {}", flow.vip.str(),
                         describe(dests[it->second.dest.index]));
    }
    return fmt::format("destination {} (re)assigned by least overhead/weight -> {}", flow.vip.str(),
                       describeChoice(dests, leastOverheadPerWeight(dests)));
  }

 private:
  static bool keeps(std::span<const Dest> dests, std::size_t i) {
    return i < dests.size() && dests[i].available() && !overloadedInCluster(dests[i], dests);
  }

  KeyIndex index_;
  LocalityTable<LblcEntry> table_;
};

struct LblcrEntry {
  std::vector<Member> set;
  microseconds last_mod{};  // when a member was last added or dropped
  microseconds last_use{};
};

// The available member with the least overhead/weight, the first of equals.
std::optional<std::size_t> leastMember(const std::vector<Member>& set,
                                       std::span<const Dest> dests) {
  std::optional<std::size_t> best;
  for (const Member& m : set) {
    if (m.index >= dests.size() || !dests[m.index].available()) continue;
    const Dest& d = dests[m.index];
    if (!best || lighter(d.overhead(), d.weight, dests[*best].overhead(), dests[*best].weight)) {
      best = m.index;
    }
  }
  return best;
}

// The position in `set` of the member with weight > 0 and the most overhead/weight.
std::optional<std::size_t> mostLoadedMember(const std::vector<Member>& set,
                                            std::span<const Dest> dests) {
  std::optional<std::size_t> most;
  for (std::size_t p = 0; p < set.size(); ++p) {
    const std::size_t i = set[p].index;
    if (i >= dests.size() || dests[i].weight <= 0) continue;
    if (!most) {
      most = p;
      continue;
    }
    const Dest& m = dests[set[*most].index];
    if (lighter(m.overhead(), m.weight, dests[i].overhead(), dests[i].weight)) most = p;
  }
  return most;
}

// lblcr: the address maps to a set of servers. Its least loaded member takes the flow unless
// that one is overloaded in the cluster sense; then the wlc choice joins the set. A set that has
// not changed for kLocalityExpiration sheds its most loaded member (one per period).
class LblcrScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "lblcr"; }

  void update(std::span<const Dest> dests) override {
    index_.rebuild(dests);
    for (auto& [addr, e] : table_.entries()) {
      for (Member& m : e.set) m.index = index_.find(m.key);
      std::erase_if(e.set, [](const Member& m) { return m.index == kGone; });
    }
  }

  std::optional<std::size_t> pick(std::span<const Dest> dests, const Flow& flow,
                                  const PickContext& ctx) override {
    table_.expire(ctx.now);
    LblcrEntry* e = table_.find(flow.vip, ctx.now);
    if (e) {
      e->last_use = ctx.now;
      std::optional<std::size_t> least = leastMember(e->set, dests);
      shrink(*e, dests, ctx.now);
      if (least && !overloadedInCluster(dests[*least], dests)) return least;
    }
    std::optional<std::size_t> c = leastOverheadPerWeight(dests);
    if (!c) return std::nullopt;
    if (!e) {
      table_.entries().insert_or_assign(flow.vip, LblcrEntry{{}, ctx.now, ctx.now});
      e = table_.find(flow.vip, ctx.now);
    }
    const bool member =
        std::any_of(e->set.begin(), e->set.end(), [&](const Member& m) { return m.index == *c; });
    if (!member) {
      e->set.push_back({dests[*c].key, *c});
      e->last_mod = ctx.now;
    }
    return c;
  }

  std::string explain(std::span<const Dest> dests, const Flow& flow) const override {
    auto it = table_.entries().find(flow.vip);
    if (it == table_.entries().end()) {
      return fmt::format("destination {} has no server set; least overhead/weight -> {}",
                         flow.vip.str(), describeChoice(dests, leastOverheadPerWeight(dests)));
    }
    std::optional<std::size_t> least = leastMember(it->second.set, dests);
    if (least && !overloadedInCluster(dests[*least], dests)) {
      return fmt::format("destination {}: least loaded of its {} servers -> {}", flow.vip.str(),
                         it->second.set.size(), describe(dests[*least]));
    }
    return fmt::format("destination {}: its {} servers are overloaded; adding -> {}",
                       flow.vip.str(), it->second.set.size(),
                       describeChoice(dests, leastOverheadPerWeight(dests)));
  }

 private:
  static void shrink(LblcrEntry& e, std::span<const Dest> dests, microseconds now) {
    if (e.set.size() <= 1 || now - e.last_mod <= kLocalityExpiration) return;
    if (std::optional<std::size_t> p = mostLoadedMember(e.set, dests)) {
      e.set.erase(e.set.begin() + static_cast<std::ptrdiff_t>(*p));
      e.last_mod = now;
    }
  }

  KeyIndex index_;
  LocalityTable<LblcrEntry> table_;
};

}  // namespace

std::unique_ptr<Scheduler> makeLblc() { return std::make_unique<LblcScheduler>(); }
std::unique_ptr<Scheduler> makeLblcr() { return std::make_unique<LblcrScheduler>(); }

}  // namespace keel::lb::sched
