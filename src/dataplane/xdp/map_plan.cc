#include "dataplane/xdp/map_plan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "dataplane/xdp/ring.h"

namespace keel::dataplane::xdp {

namespace {

void copyAddress(const base::IpAddress& a, std::uint8_t (&out)[16]) {
  std::memset(out, 0, sizeof out);
  std::memcpy(out, a.bytes().data(), a.bytes().size());
}

std::uint8_t familyOf(const base::IpAddress& a) {
  return a.isV4() ? KEEL_FAMILY_V4 : KEEL_FAMILY_V6;
}

std::uint8_t forwardingOf(lb::Forwarding f) {
  switch (f) {
    case lb::Forwarding::Dr:
      return KEEL_FWD_DR;
    case lb::Forwarding::Nat:
      return KEEL_FWD_NAT;
    case lb::Forwarding::Tun:
      return KEEL_FWD_TUN_IPIP;
  }
  return KEEL_FWD_DR;
}

bool sameReal(const keel_real& a, const keel_real& b) { return std::memcmp(&a, &b, sizeof a) == 0; }
bool sameService(const keel_service& a, const keel_service& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::string keyText(const keel_service_key& k) {
  return fmt::format("{}:{}/{}", k.family == KEEL_FAMILY_V4 ? "v4" : "v6", ntohs(k.port),
                     k.proto == KEEL_PROTO_TCP ? "tcp" : "udp");
}

keel_service serviceValueOf(const lb::Service& s, std::uint32_t id, const RingPlan& plan) {
  keel_service v{};
  v.id = id;
  if (s.persistent()) {
    v.flags |= KEEL_SVC_F_PERSIST;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(s.persistence_timeout).count();
    v.persist_timeout_s =
        static_cast<std::uint32_t>(std::clamp<std::int64_t>(seconds, 1, UINT32_MAX));
    v.persist_prefix = s.persistence_prefix;
  }
  if (plan.hash_source_only) v.flags |= KEEL_SVC_F_HASH_SRC;
  if (s.one_packet) v.flags |= KEEL_SVC_F_NO_CONN;
  return v;
}

}  // namespace

keel_config defaultConfig() {
  keel_config c{};
  c.udp_timeout_ns = 300ULL * 1000 * 1000 * 1000;
  c.gue_port = htons(KEEL_GUE_PORT_DEFAULT);
  return c;
}

keel_service_key serviceKeyOf(const lb::ServiceKey& key) {
  keel_service_key k{};
  copyAddress(key.address, k.addr);
  k.port = htons(key.port);
  k.proto = key.protocol == lb::Protocol::Udp ? KEEL_PROTO_UDP : KEEL_PROTO_TCP;
  k.family = familyOf(key.address);
  return k;
}

keel_real realEntryOf(const lb::Real& real, const Egress& egress) {
  keel_real r{};
  copyAddress(real.key.address, r.addr);
  std::memcpy(r.dst_mac, egress.dst_mac.data(), 6);
  std::memcpy(r.src_mac, egress.src_mac.data(), 6);
  r.ifindex = static_cast<std::uint32_t>(egress.ifindex);
  r.port = real.forwarding == lb::Forwarding::Nat ? htons(real.key.port) : 0;
  r.family = familyOf(real.key.address);
  r.forwarding = forwardingOf(real.forwarding);
  r.flags = real.weight <= 0 ? KEEL_REAL_F_QUIESCED : 0;
  return r;
}

// Never-used ids first, then freed ones oldest first: an id stale connection entries may still
// name is reused as late as possible.
std::optional<std::uint32_t> MapPlanner::take(Ids& ids) {
  if (ids.next < ids.limit) return ids.next++;
  if (ids.free.empty()) return std::nullopt;
  const std::uint32_t id = ids.free.front();
  ids.free.pop_front();
  return id;
}

std::optional<std::uint32_t> MapPlanner::realIndex(const lb::ServiceKey& service,
                                                   const lb::RealKey& real) const {
  auto it = real_ids_.find({service, real});
  if (it == real_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> MapPlanner::serviceId(const lb::ServiceKey& service) const {
  auto it = service_ids_.find(service);
  if (it == service_ids_.end()) return std::nullopt;
  return it->second;
}

MapContent MapPlanner::build(const lb::ServiceTable& table, const EgressFn& egress,
                             std::vector<Skipped>* skipped) {
  auto skip = [&](std::string what, std::string why) {
    if (skipped != nullptr) skipped->push_back({std::move(what), std::move(why)});
  };
  fresh_services_.clear();
  fresh_reals_.clear();
  MapContent out;
  out.config = base_;
  for (const lb::ServicePtr& sp : table.services) {
    const lb::Service& s = *sp;
    if (s.key.isFwmark()) {
      skip(s.key.str(), "fwmark services are not supported by the XDP data plane");
      continue;
    }
    if (s.key.protocol == lb::Protocol::Sctp) {
      skip(s.key.str(), "SCTP is not supported by the XDP data plane");
      continue;
    }
    auto plan = ringPlan(s.scheduler, s.scheduler_flags);
    if (!plan) {
      skip(s.key.str(), plan.error().message);
      continue;
    }
    auto [sit, new_service] = service_ids_.try_emplace(s.key, 0);
    if (new_service) {
      auto id = take(svc_pool_);
      if (!id) {
        service_ids_.erase(sit);
        skip(s.key.str(), fmt::format("more than {} services", KEEL_MAX_SERVICES));
        continue;
      }
      sit->second = *id;
      fresh_services_.push_back(*id);
    }
    std::vector<RingMember> members;
    for (const lb::Real& r : s.reals) {
      auto e = egress(s.key, r);
      if (!e) continue;  // the EgressFn says why
      auto [rit, new_real] = real_ids_.try_emplace({s.key, r.key}, 0);
      if (new_real) {
        auto index = take(real_pool_);
        if (!index) {
          real_ids_.erase(rit);
          skip(fmt::format("{} -> {}", s.key.str(), r.key.str()),
               fmt::format("more than {} reals", KEEL_MAX_REALS - 1));
          continue;
        }
        rit->second = *index;
        fresh_reals_.push_back(*index);
      }
      out.reals[rit->second] = realEntryOf(r, *e);
      if (r.forwarding == lb::Forwarding::Nat) out.config.flags |= KEEL_CFG_F_NAT;
      members.push_back({r.key, rit->second, r.weight});
    }
    auto ring = ringFor(s, members);
    if (!ring) {
      skip(s.key.str(), ring.error().message);
      continue;
    }
    out.services[s.key] =
        ServiceEntry{serviceKeyOf(s.key), serviceValueOf(s, sit->second, *plan), std::move(*ring)};
  }
  return out;
}

base::Result<std::vector<std::uint32_t>> MapPlanner::ringFor(
    const lb::Service& s, const std::vector<RingMember>& members) {
  RingInput input{s.scheduler, s.scheduler_flags, {}};
  for (const RingMember& m : members) input.members.emplace_back(m.key, m.index, m.weight);
  auto it = rings_.find(s.key);
  if (it != rings_.end() && it->second.input == input) return it->second.ring;
  auto ring = buildRing(s, members);
  if (!ring) return ring.error();
  rings_[s.key] = CachedRing{std::move(input), *ring};
  return ring;
}

std::vector<MapWrite> MapPlanner::diff(const MapContent& from, const MapContent& to) const {
  std::vector<MapWrite> out;
  if (std::memcmp(&from.config, &to.config, sizeof to.config) != 0) {
    out.push_back(WriteConfig{to.config});
  }
  for (std::uint32_t id : fresh_services_) out.push_back(ResetStats{false, id});
  for (std::uint32_t index : fresh_reals_) out.push_back(ResetStats{true, index});
  for (const auto& [index, real] : to.reals) {
    auto it = from.reals.find(index);
    if (it == from.reals.end() || !sameReal(it->second, real))
      out.push_back(WriteReal{index, real});
  }
  for (const auto& [key, entry] : to.services) {
    auto it = from.services.find(key);
    const ServiceEntry* old = it == from.services.end() ? nullptr : &it->second;
    WriteSlots slots{entry.value.id, {}};
    for (std::uint32_t i = 0; i < entry.ring.size(); ++i) {
      // A new service's ring is written whole: its id may have held another service's ring.
      if (old == nullptr || old->value.id != entry.value.id || old->ring[i] != entry.ring[i]) {
        slots.slots.emplace_back(i, entry.ring[i]);
      }
    }
    if (!slots.slots.empty()) out.push_back(std::move(slots));
    if (old == nullptr || !sameService(old->value, entry.value)) {
      out.push_back(WriteService{entry.key, entry.value});
    }
  }
  for (const auto& [key, entry] : from.services) {
    if (to.services.count(key) != 0) continue;
    out.push_back(DeleteService{entry.key});
    WriteSlots clear{entry.value.id, {}};
    for (std::uint32_t i = 0; i < entry.ring.size(); ++i) {
      if (entry.ring[i] != 0) clear.slots.emplace_back(i, 0);
    }
    if (!clear.slots.empty()) out.push_back(std::move(clear));
  }
  for (const auto& [index, real] : from.reals) {
    if (to.reals.count(index) == 0) out.push_back(ClearReal{index});
  }
  return out;
}

void MapPlanner::release(const MapContent& held, const MapContent& wanted) {
  std::set<std::uint32_t> used_services;
  for (const auto* c : {&held, &wanted}) {
    for (const auto& [key, entry] : c->services) used_services.insert(entry.value.id);
  }
  for (auto it = service_ids_.begin(); it != service_ids_.end();) {
    if (used_services.count(it->second) == 0) {
      svc_pool_.free.push_back(it->second);
      rings_.erase(it->first);
      it = service_ids_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = real_ids_.begin(); it != real_ids_.end();) {
    if (held.reals.count(it->second) == 0 && wanted.reals.count(it->second) == 0) {
      real_pool_.free.push_back(it->second);
      it = real_ids_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string describe(const MapWrite& w) {
  struct V {
    std::string operator()(const WriteConfig& c) const {
      return fmt::format("write config flags {:#x}", c.config.flags);
    }
    std::string operator()(const WriteReal& r) const {
      return fmt::format("write real {} fwd {} if {}", r.index, r.real.forwarding, r.real.ifindex);
    }
    std::string operator()(const ClearReal& r) const {
      return fmt::format("clear real {}", r.index);
    }
    std::string operator()(const WriteSlots& s) const {
      return fmt::format("write {} slots of service {}", s.slots.size(), s.service_id);
    }
    std::string operator()(const WriteService& s) const {
      return fmt::format("write service {} id {}", keyText(s.key), s.value.id);
    }
    std::string operator()(const DeleteService& s) const {
      return fmt::format("delete service {}", keyText(s.key));
    }
    std::string operator()(const ResetStats& s) const {
      return fmt::format("reset {} stats {}", s.real ? "real" : "service", s.id);
    }
  };
  return std::visit(V{}, w);
}

}  // namespace keel::dataplane::xdp
