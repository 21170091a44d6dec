// MapSync over a recording MapIo: what apply() writes, refresh() after a next hop changes,
// recovery after a failed write, statistics and counters.
#include "dataplane/xdp/map_sync.h"

#include <arpa/inet.h>

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

namespace keel::dataplane::xdp {
namespace {

class FakeMapIo final : public MapIo {
 public:
  base::Status write(const MapWrite& w) override {
    if (fail_after >= 0 && static_cast<int>(writes.size()) >= fail_after) {
      fail_after = -1;
      return base::makeError(base::ErrorCode::System, "injected");
    }
    writes.push_back(w);
    if (auto* r = std::get_if<WriteReal>(&w)) reals[r->index] = r->real;
    if (auto* r = std::get_if<ClearReal>(&w)) reals.erase(r->index);
    if (auto* s = std::get_if<WriteService>(&w)) services[s->value.id] = s->value;
    if (auto* s = std::get_if<DeleteService>(&w)) deleted.push_back(s->key.port);
    return base::ok();
  }
  base::Result<keel_stats> serviceStats(std::uint32_t id) override {
    return keel_stats{id + 1, 10, 1000, 0, 0};
  }
  base::Result<keel_stats> realStats(std::uint32_t index) override {
    return keel_stats{index, 5, 500, 0, 0};
  }
  base::Result<std::vector<std::uint64_t>> counters() override {
    std::vector<std::uint64_t> v(KEEL_COUNTER_MAX, 0);
    v[KEEL_DROP_NO_REAL] = 3;
    return v;
  }
  base::Result<std::vector<ConnEntry>> conns(std::size_t limit) override {
    return std::vector<ConnEntry>(conn_entries.begin(),
                                  conn_entries.begin() + std::min(limit, conn_entries.size()));
  }

  std::vector<ConnEntry> conn_entries;

  std::vector<MapWrite> writes;
  std::map<std::uint32_t, keel_real> reals;
  std::map<std::uint32_t, keel_service> services;
  std::vector<std::uint16_t> deleted;
  int fail_after = -1;
};

std::shared_ptr<const lb::ServiceTable> tableOf(std::vector<std::pair<const char*, int>> reals,
                                                std::uint16_t port = 80) {
  lb::Service s;
  s.key = {*base::IpAddress::parse("198.18.0.100"), port, lb::Protocol::Tcp, 0};
  s.scheduler = "rr";
  for (auto [addr, weight] : reals) {
    lb::Real r;
    r.key = {*base::IpAddress::parse(addr), 80};
    r.weight = weight;
    r.forwarding = lb::Forwarding::Dr;
    s.reals.push_back(r);
  }
  return std::make_shared<const lb::ServiceTable>(lb::ServiceTable::of({s}));
}

template <typename T>
int count(const std::vector<MapWrite>& w) {
  int n = 0;
  for (const MapWrite& x : w) n += std::holds_alternative<T>(x) ? 1 : 0;
  return n;
}

struct Fixture {
  FakeMapIo maps;
  std::map<std::string, Egress> hops;  // real address -> egress; absent: unresolved
  MapSync dp{maps, [this](const lb::Real& r, std::string* why) -> std::optional<Egress> {
               auto it = hops.find(r.key.address.str());
               if (it == hops.end()) {
                 *why = "next hop not resolved yet";
                 return std::nullopt;
               }
               return it->second;
             }};
};

TEST(MapSyncTest, WritesOnlyWhatChangedAndFollowsNextHops) {
  Fixture f;
  f.hops["10.0.0.11"] = Egress{2, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 11}};
  ASSERT_TRUE(f.dp.apply(tableOf({{"10.0.0.11", 1}, {"10.0.0.12", 1}})));
  EXPECT_EQ(f.maps.reals.size(), 1u);
  EXPECT_EQ(f.maps.services.size(), 1u);
  ASSERT_EQ(f.dp.skipped().size(), 1u);
  EXPECT_NE(f.dp.skipped().begin()->find("10.0.0.12:80: next hop not resolved yet"),
            std::string::npos);

  // The second real's neighbour resolves: refresh writes it and its slots, not the service.
  f.maps.writes.clear();
  f.hops["10.0.0.12"] = Egress{2, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 12}};
  ASSERT_TRUE(f.dp.refresh());
  EXPECT_EQ(count<WriteReal>(f.maps.writes), 1);
  EXPECT_EQ(count<WriteSlots>(f.maps.writes), 1);
  EXPECT_EQ(count<WriteService>(f.maps.writes), 0);
  EXPECT_TRUE(f.dp.skipped().empty());

  // A MAC change rewrites that real only.
  f.maps.writes.clear();
  f.hops["10.0.0.12"].dst_mac[5] = 0x99;
  ASSERT_TRUE(f.dp.refresh());
  ASSERT_EQ(f.maps.writes.size(), 1u);
  EXPECT_EQ(std::get<WriteReal>(f.maps.writes[0]).real.dst_mac[5], 0x99);

  f.maps.writes.clear();
  ASSERT_TRUE(f.dp.refresh());
  EXPECT_TRUE(f.maps.writes.empty());
}

TEST(MapSyncTest, AFailedWriteIsRepairedByTheNextApply) {
  Fixture f;
  f.hops["10.0.0.11"] = Egress{2, {}, {2, 0, 0, 0, 0, 11}};
  f.hops["10.0.0.12"] = Egress{2, {}, {2, 0, 0, 0, 0, 12}};
  ASSERT_TRUE(f.dp.apply(tableOf({{"10.0.0.11", 1}})));
  f.maps.writes.clear();
  f.maps.fail_after = 0;
  auto failed = f.dp.apply(tableOf({{"10.0.0.11", 1}, {"10.0.0.12", 1}}, 81));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("injected"), std::string::npos);
  // The next apply removes the old service and writes the new one whole.
  ASSERT_TRUE(f.dp.apply(tableOf({{"10.0.0.11", 1}, {"10.0.0.12", 1}}, 81)));
  EXPECT_EQ(f.maps.deleted, std::vector<std::uint16_t>{htons(80)});
  EXPECT_EQ(count<WriteService>(f.maps.writes), 1);
  EXPECT_EQ(f.maps.reals.size(), 2u);
}

TEST(MapSyncTest, ReportsStatisticsAndNamedCounters) {
  Fixture f;
  f.hops["10.0.0.11"] = Egress{2, {}, {}};
  ASSERT_TRUE(f.dp.apply(tableOf({{"10.0.0.11", 1}, {"10.0.0.12", 1}})));
  auto stats = f.dp.stats();
  ASSERT_TRUE(stats);
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].counters.in_packets, 10u);
  ASSERT_EQ((*stats)[0].reals.size(), 1u);  // the unreachable real has no entry
  EXPECT_EQ((*stats)[0].reals[0].key.str(), "10.0.0.11:80");
  auto counters = f.dp.counters();
  ASSERT_TRUE(counters);
  ASSERT_EQ(counters->size(), static_cast<std::size_t>(KEEL_COUNTER_MAX));
  EXPECT_EQ((*counters)[KEEL_DROP_NO_REAL],
            (std::pair<std::string, std::uint64_t>{"drop_no_real", 3}));
}

TEST(MapSyncTest, ListsConnectionsOfRealsTheTableHolds) {
  Fixture f;
  f.hops["10.0.0.11"] = Egress{2, {}, {}};
  ASSERT_TRUE(f.dp.apply(tableOf({{"10.0.0.11", 1}})));
  ASSERT_EQ(f.maps.reals.size(), 1u);
  ConnEntry e{};
  e.flow.family = KEEL_FAMILY_V4;
  e.flow.proto = IPPROTO_TCP;
  const std::uint8_t client[4] = {198, 18, 0, 10};
  std::memcpy(e.flow.src, client, sizeof client);
  e.flow.sport = htons(40000);
  e.conn.atime_ns = 1;
  e.conn.real = f.maps.reals.begin()->first;
  ConnEntry stale = e;
  stale.conn.real = 9999;  // a removed real: not listed
  f.maps.conn_entries = {e, stale};
  auto conns = f.dp.connections(10);
  ASSERT_TRUE(conns) << conns.error().str();
  ASSERT_EQ(conns->size(), 1u);
  const Connection& c = (*conns)[0];
  EXPECT_EQ(c.client.str(), "198.18.0.10");
  EXPECT_EQ(c.client_port, 40000);
  EXPECT_EQ(c.service.str(), "TCP 198.18.0.100:80");
  EXPECT_EQ(c.real.str(), "10.0.0.11:80");
  EXPECT_EQ(c.state, "NONE");
  EXPECT_EQ(f.dp.connections(0)->size(), 0u);
}

}  // namespace
}  // namespace keel::dataplane::xdp
