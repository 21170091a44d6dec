#include "dataplane/xdp/map_sync.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <map>

#include "base/log.h"

namespace keel::dataplane::xdp {

namespace {

// keel keeps no TCP state and no expiry per entry (LRU eviction), so state is "NONE" for TCP
// ("UDP" for UDP) and expires 0, as docs/keelctl.md says.
Connection connectionOf(const keel_flow& flow, const lb::ServiceKey& service,
                        const lb::RealKey& real) {
  Connection c;
  c.protocol = flow.proto == IPPROTO_UDP ? lb::Protocol::Udp : lb::Protocol::Tcp;
  if (flow.family == KEEL_FAMILY_V6) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), flow.src, b.size());
    c.client = base::IpAddress::fromV6Bytes(b);
  } else {
    c.client = base::IpAddress::fromV4Bytes({flow.src[0], flow.src[1], flow.src[2], flow.src[3]});
  }
  c.client_port = ntohs(flow.sport);
  c.service = service;
  c.real = real;
  c.state = c.protocol == lb::Protocol::Udp ? "UDP" : "NONE";
  return c;
}

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

MapSync::MapSync(MapIo& maps, EgressLookup egress, const keel_config& config)
    : maps_(maps), egress_(std::move(egress)), planner_(config) {}

base::Status MapSync::apply(std::shared_ptr<const lb::ServiceTable> table) {
  table_ = std::move(table);
  return refresh();
}

base::Result<void> MapSync::refresh() {
  if (!table_) return base::ok();
  std::vector<Skipped> skipped;
  MapContent next = planner_.build(
      *table_,
      [&](const lb::ServiceKey& service, const lb::Real& real) -> std::optional<Egress> {
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

base::Result<void> MapSync::write(const MapContent& next) {
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

base::Result<std::vector<ServiceStats>> MapSync::stats() const {
  std::vector<ServiceStats> out;
  if (!table_) return out;
  for (const lb::ServicePtr& s : table_->services) {
    auto it = held_.services.find(s->key);
    if (it == held_.services.end()) continue;
    ServiceStats ss{s->key, {}, {}};
    auto st = maps_.serviceStats(it->second.value.id);
    if (!st) return st.error();
    ss.counters = countersOf(*st);
    for (const lb::Real& r : s->reals) {
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

base::Result<std::vector<std::pair<std::string, std::uint64_t>>> MapSync::counters() const {
  auto values = maps_.counters();
  if (!values) return values.error();
  const auto names = counterNames();
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < names.size() && i < values->size(); ++i) {
    out.emplace_back(std::string(names[i]), (*values)[i]);
  }
  return out;
}

base::Result<std::vector<Connection>> MapSync::connections(std::size_t limit) const {
  auto entries = maps_.conns(limit);
  if (!entries) return entries.error();
  // keel_reals index -> the service and real the table gives it.
  std::map<std::uint32_t, std::pair<lb::ServiceKey, lb::RealKey>> owners;
  if (table_) {
    for (const lb::ServicePtr& s : table_->services) {
      for (const lb::Real& r : s->reals) {
        if (auto index = planner_.realIndex(s->key, r.key)) owners[*index] = {s->key, r.key};
      }
    }
  }
  std::vector<Connection> out;
  for (const ConnEntry& e : *entries) {
    auto owner = owners.find(e.conn.real);
    if (owner == owners.end()) continue;  // a removed real's entry, read as a miss
    out.push_back(connectionOf(e.flow, owner->second.first, owner->second.second));
  }
  return out;
}

}  // namespace keel::dataplane::xdp
