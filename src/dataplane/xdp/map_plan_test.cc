// The map plan: contents of a table, stable ids, and writes that keep the ABI's ordering
// contract at every step (checked by applying them one by one to a model of the maps).
#include "dataplane/xdp/map_plan.h"

#include <arpa/inet.h>

#include <cstring>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace keel::dataplane::xdp {
namespace {

lb::ServiceKey vip(const char* addr = "198.18.0.100", std::uint16_t port = 80) {
  return {*base::IpAddress::parse(addr), port, lb::Protocol::Tcp, 0};
}
lb::RealKey rk(const char* addr, std::uint16_t port = 80) {
  return {*base::IpAddress::parse(addr), port};
}

lb::Real real(const char* addr, int weight = 1, lb::Forwarding f = lb::Forwarding::Dr) {
  lb::Real r;
  r.key = rk(addr);
  r.weight = weight;
  r.forwarding = f;
  return r;
}

lb::ServicePtr svc(lb::ServiceKey key, std::vector<lb::Real> reals, std::string sched = "rr") {
  lb::Service s;
  s.key = key;
  s.scheduler = std::move(sched);
  s.reals = std::move(reals);
  std::sort(s.reals.begin(), s.reals.end(),
            [](const lb::Real& a, const lb::Real& b) { return a.key < b.key; });
  return std::make_shared<const lb::Service>(std::move(s));
}

lb::ServiceTable table(std::vector<lb::ServicePtr> services) {
  lb::ServiceTable t;
  t.services = std::move(services);
  std::sort(t.services.begin(), t.services.end(),
            [](const lb::ServicePtr& a, const lb::ServicePtr& b) { return a->key < b->key; });
  return t;
}

// Every real reachable, its MAC derived from its last address byte.
std::optional<Egress> reachable(const lb::ServiceKey&, const lb::Real& r) {
  Egress e{2, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 0}};
  e.dst_mac[5] = r.key.address.bytes().back();
  return e;
}

// The maps as the program sees them; apply() checks the contract after every write.
struct FakeMaps {
  std::map<std::uint32_t, keel_real> reals;
  std::map<std::uint32_t, std::uint32_t> ring;  // id * RING + slot -> real (absent: 0)
  std::map<std::string, keel_service> services;
  std::set<std::pair<bool, std::uint32_t>> reset;

  static std::string key(const keel_service_key& k) {
    return std::string(reinterpret_cast<const char*>(&k), sizeof k);
  }
  bool realValid(std::uint32_t i) const {
    auto it = reals.find(i);
    return it != reals.end() && it->second.family != KEEL_FAMILY_NONE;
  }
  void apply(const MapWrite& w) {
    if (auto* r = std::get_if<WriteReal>(&w)) reals[r->index] = r->real;
    if (auto* r = std::get_if<ClearReal>(&w)) reals[r->index].family = KEEL_FAMILY_NONE;
    if (auto* s = std::get_if<WriteSlots>(&w)) {
      for (auto [slot, real] : s->slots) ring[s->service_id * KEEL_RING_SIZE + slot] = real;
    }
    if (auto* s = std::get_if<WriteService>(&w)) {
      // Contract 2: the ring is complete before the entry appears.
      for (std::uint32_t i = 0; i < KEEL_RING_SIZE; ++i) {
        auto it = ring.find(s->value.id * KEEL_RING_SIZE + i);
        ASSERT_TRUE(it == ring.end() || it->second == 0 || realValid(it->second)) << describe(w);
      }
      services[key(s->key)] = s->value;
    }
    if (auto* s = std::get_if<DeleteService>(&w)) services.erase(key(s->key));
    if (auto* s = std::get_if<ResetStats>(&w)) reset.insert({s->real, s->id});
    // Contract 1: no slot of a live service names an empty real.
    for (const auto& [k, v] : services) {
      for (std::uint32_t i = 0; i < KEEL_RING_SIZE; ++i) {
        auto it = ring.find(v.id * KEEL_RING_SIZE + i);
        if (it != ring.end() && it->second != 0) {
          ASSERT_TRUE(realValid(it->second)) << "after " << describe(w) << ": slot " << i;
        }
      }
    }
  }
};

// Plans `t`, applies the writes to `maps`, and returns the new held content.
MapContent step(MapPlanner& planner, FakeMaps& maps, const MapContent& held,
                const lb::ServiceTable& t, std::vector<MapWrite>* writes = nullptr,
                const EgressFn& egress = reachable) {
  MapContent next = planner.build(t, egress);
  auto w = planner.diff(held, next);
  for (const MapWrite& one : w) {
    maps.apply(one);
    if (::testing::Test::HasFatalFailure()) break;
  }
  planner.release(next, next);
  if (writes != nullptr) *writes = std::move(w);
  return next;
}

TEST(MapPlanTest, BuildsAbiEntries) {
  MapPlanner planner;
  auto t = table({svc(vip(), {real("10.0.0.11"), real("10.0.0.12", 3, lb::Forwarding::Nat)}),
                  svc(vip("2001:db8::100", 443), {real("2001:db8::11", 0)})});
  MapContent c = planner.build(t, reachable);
  ASSERT_EQ(c.services.size(), 2u);
  const ServiceEntry& v4 = c.services.at(vip());
  EXPECT_EQ(v4.key.family, KEEL_FAMILY_V4);
  EXPECT_EQ(v4.key.port, htons(80));
  EXPECT_EQ(v4.key.proto, KEEL_PROTO_TCP);
  EXPECT_EQ(v4.ring.size(), KEEL_RING_SIZE);
  const auto r11 = *planner.realIndex(vip(), rk("10.0.0.11"));
  const auto r12 = *planner.realIndex(vip(), rk("10.0.0.12"));
  EXPECT_NE(r11, 0u);
  EXPECT_EQ(c.reals.at(r11).forwarding, KEEL_FWD_DR);
  EXPECT_EQ(c.reals.at(r11).port, 0);
  EXPECT_EQ(c.reals.at(r12).forwarding, KEEL_FWD_NAT);
  EXPECT_EQ(c.reals.at(r12).port, htons(80));
  EXPECT_EQ(c.reals.at(r12).dst_mac[5], 12);
  EXPECT_EQ(c.reals.at(r12).ifindex, 2u);
  const ServiceEntry& v6 = c.services.at(vip("2001:db8::100", 443));
  EXPECT_EQ(v6.key.family, KEEL_FAMILY_V6);
  const auto r6 = *planner.realIndex(vip("2001:db8::100", 443), rk("2001:db8::11"));
  EXPECT_EQ(c.reals.at(r6).flags, KEEL_REAL_F_QUIESCED);
  for (std::uint32_t slot : v6.ring) EXPECT_EQ(slot, 0u);  // weight 0: no new flows
}

TEST(MapPlanTest, PersistenceAndOpsFlags) {
  lb::Service s = *svc(vip(), {real("10.0.0.11")}, "sh");
  s.persistence_timeout = std::chrono::milliseconds(300500);
  s.persistence_prefix = 24;
  s.one_packet = true;
  MapPlanner planner;
  MapContent c = planner.build(table({std::make_shared<const lb::Service>(s)}), reachable);
  const keel_service& v = c.services.at(vip()).value;
  EXPECT_EQ(v.flags, KEEL_SVC_F_PERSIST | KEEL_SVC_F_HASH_SRC | KEEL_SVC_F_NO_CONN);
  EXPECT_EQ(v.persist_timeout_s, 301u);
  EXPECT_EQ(v.persist_prefix, 24);
}

TEST(MapPlanTest, SkipsWhatXdpCannotDoAndUnreachableReals) {
  lb::ServiceKey fwm{base::IpAddress(), 0, lb::Protocol::Tcp, 7};
  lb::ServiceKey sctp = vip();
  sctp.protocol = lb::Protocol::Sctp;
  auto t = table({svc(fwm, {real("10.0.0.11")}), svc(sctp, {real("10.0.0.11")}),
                  svc(vip(), {real("10.0.0.11"), real("10.0.0.12")})});
  MapPlanner planner;
  std::vector<Skipped> skipped;
  auto only11 = [](const lb::ServiceKey& k, const lb::Real& r) -> std::optional<Egress> {
    if (r.key.address.bytes().back() == 12) return std::nullopt;
    return reachable(k, r);
  };
  MapContent c = planner.build(t, only11, &skipped);
  EXPECT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.reals.size(), 1u);
  ASSERT_EQ(skipped.size(), 2u);
  for (std::uint32_t slot : c.services.at(vip()).ring) {
    EXPECT_EQ(slot, *planner.realIndex(vip(), rk("10.0.0.11")));
  }
}

TEST(MapPlanTest, EveryStepKeepsTheOrderingContract) {
  MapPlanner planner;
  FakeMaps maps;
  MapContent held;
  std::vector<MapWrite> w;
  held = step(planner, maps, held, table({svc(vip(), {real("10.0.0.11"), real("10.0.0.12")})}), &w);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(maps.services.size(), 1u);
  const auto id = *planner.serviceId(vip());
  EXPECT_TRUE(maps.reset.count({false, id}));
  // Add a real, quiesce another, remove one, remove the service: each checked write by write.
  held = step(planner, maps, held,
              table({svc(vip(), {real("10.0.0.11"), real("10.0.0.12"), real("10.0.0.13")})}), &w);
  ASSERT_FALSE(HasFatalFailure());
  const auto r13 = *planner.realIndex(vip(), rk("10.0.0.13"));
  EXPECT_TRUE(maps.realValid(r13));
  held =
      step(planner, maps, held,
           table({svc(vip(), {real("10.0.0.11"), real("10.0.0.12", 0), real("10.0.0.13")})}), &w);
  ASSERT_FALSE(HasFatalFailure());
  const auto r12 = *planner.realIndex(vip(), rk("10.0.0.12"));
  EXPECT_TRUE(maps.realValid(r12));  // quiesced: existing flows continue
  for (std::uint32_t s = 0; s < KEEL_RING_SIZE; ++s) {
    EXPECT_NE(maps.ring[id * KEEL_RING_SIZE + s], r12);
  }
  held = step(planner, maps, held, table({svc(vip(), {real("10.0.0.11"), real("10.0.0.13")})}), &w);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_FALSE(maps.realValid(r12));
  EXPECT_TRUE(std::holds_alternative<ClearReal>(w.back()));
  // An unchanged table writes nothing.
  held = step(planner, maps, held, table({svc(vip(), {real("10.0.0.11"), real("10.0.0.13")})}), &w);
  EXPECT_TRUE(w.empty());
  held = step(planner, maps, held, table({}), &w);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(maps.services.empty());
  EXPECT_TRUE(std::holds_alternative<DeleteService>(w[0]));
  for (const auto& [k, real] : maps.ring) EXPECT_EQ(real, 0u);
}

TEST(MapPlanTest, IdsAreStableAndFreedOnesAreReusedLast) {
  MapPlanner planner;
  FakeMaps maps;
  MapContent held;
  held = step(planner, maps, held,
              table({svc(vip("198.18.0.1"), {real("10.0.0.11")}),
                     svc(vip("198.18.0.2"), {real("10.0.0.11")})}));
  const auto a = *planner.serviceId(vip("198.18.0.1"));
  const auto b = *planner.serviceId(vip("198.18.0.2"));
  const auto ra = *planner.realIndex(vip("198.18.0.1"), rk("10.0.0.11"));
  EXPECT_NE(a, b);
  held = step(planner, maps, held, table({svc(vip("198.18.0.2"), {real("10.0.0.11")})}));
  EXPECT_EQ(*planner.serviceId(vip("198.18.0.2")), b);
  EXPECT_FALSE(planner.serviceId(vip("198.18.0.1")));
  std::vector<MapWrite> w;
  held = step(planner, maps, held,
              table({svc(vip("198.18.0.2"), {real("10.0.0.11")}),
                     svc(vip("198.18.0.3"), {real("10.0.0.11")})}),
              &w);
  ASSERT_FALSE(HasFatalFailure());
  const auto c = *planner.serviceId(vip("198.18.0.3"));
  EXPECT_NE(c, a);  // a fresh id first; the freed one waits at the back
  EXPECT_NE(*planner.realIndex(vip("198.18.0.3"), rk("10.0.0.11")), ra);
  EXPECT_TRUE(maps.reset.count({false, c}));
}

}  // namespace
}  // namespace keel::dataplane::xdp
