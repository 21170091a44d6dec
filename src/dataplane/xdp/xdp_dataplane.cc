#include "dataplane/xdp/xdp_dataplane.h"

#include <fmt/format.h>

#include "base/log.h"

namespace keel::dataplane::xdp {

namespace {

// The content to assume after a write failed part-way: every entry either side names, with
// values no plan produces, so the next diff rewrites each of them and removes what is unwanted.
MapContent unknownState(const MapContent& a, const MapContent& b) {
  MapContent out;
  out.config.flags = ~0U;
  for (const auto* c : {&a, &b}) {
    for (const auto& [key, entry] : c->services) {
      ServiceEntry e = entry;
      e.value.flags = ~0U;
      e.ring.assign(e.ring.size(), ~0U);
      out.services[key] = std::move(e);
    }
    for (const auto& [index, real] : c->reals) {
      keel_real r = real;
      r.family = 0xff;
      out.reals[index] = r;
    }
  }
  return out;
}

}  // namespace

XdpDataplane::XdpDataplane(MapIo& maps, EgressLookup egress, const keel_config& config)
    : maps_(maps), egress_(std::move(egress)), planner_(config) {}

base::Result<void> XdpDataplane::apply(std::shared_ptr<const ServiceTable> table) {
  table_ = std::move(table);
  return refresh();
}

base::Result<void> XdpDataplane::refresh() {
  if (!table_) return base::ok();
  std::vector<Skipped> skipped;
  MapContent next = planner_.build(
      *table_,
      [&](const ServiceKey& service, const Real& real) -> std::optional<Egress> {
        std::string why;
        auto e = egress_(real, &why);
        if (!e) skipped.push_back({fmt::format("{} -> {}", service.str(), real.key.str()), why});
        return e;
      },
      &skipped);
  std::set<std::string> now;
  for (const Skipped& s : skipped) {
    std::string line = s.why.empty() ? s.what : fmt::format("{}: {}", s.what, s.why);
    if (skipped_.count(line) == 0) base::logWarning("XDP data plane leaves out {}", line);
    now.insert(std::move(line));
  }
  skipped_ = std::move(now);
  return write(next);
}

base::Result<void> XdpDataplane::write(const MapContent& next) {
  const std::vector<MapWrite> writes = planner_.diff(held_, next);
  for (const MapWrite& w : writes) {
    if (auto s = maps_.write(w); !s) {
      held_ = unknownState(held_, next);
      planner_.release(held_, next);
      return base::makeError(s.error().code, fmt::format("XDP map update ({}) failed: {}",
                                                         describe(w), s.error().str()));
    }
  }
  held_ = next;
  planner_.release(held_, next);
  return base::ok();
}

namespace {
Counters countersOf(const keel_stats& s) {
  return {s.conns, s.in_packets, s.in_bytes, s.out_packets, s.out_bytes};
}
}  // namespace

base::Result<std::vector<ServiceStats>> XdpDataplane::stats() const {
  std::vector<ServiceStats> out;
  if (!table_) return out;
  for (const ServicePtr& s : table_->services) {
    auto it = held_.services.find(s->key);
    if (it == held_.services.end()) continue;
    ServiceStats ss{s->key, {}, {}};
    auto st = maps_.serviceStats(it->second.value.id);
    if (!st) return st.error();
    ss.counters = countersOf(*st);
    for (const Real& r : s->reals) {
      auto index = planner_.realIndex(s->key, r.key);
      if (!index || held_.reals.count(*index) == 0) continue;
      auto rs = maps_.realStats(*index);
      if (!rs) return rs.error();
      ss.reals.push_back({r.key, countersOf(*rs), std::nullopt, std::nullopt});
    }
    out.push_back(std::move(ss));
  }
  return out;
}

base::Result<std::vector<std::pair<std::string, std::uint64_t>>> XdpDataplane::counters() const {
  auto values = maps_.counters();
  if (!values) return values.error();
  const auto names = counterNames();
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < names.size() && i < values->size(); ++i) {
    out.emplace_back(std::string(names[i]), (*values)[i]);
  }
  return out;
}

base::Result<std::vector<Connection>> XdpDataplane::connections(std::size_t /*limit*/) const {
  return base::makeError(base::ErrorCode::Unsupported,
                         "the XDP data plane does not list connections yet");
}

}  // namespace keel::dataplane::xdp
