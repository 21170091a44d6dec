// `keelctl -Ln`, `-Ln --stats`, `-Ln --rate` and `-Lnc` in ipvsadm's exact layout (ipvsadm(8),
// numeric form) and order (services and reals sorted as ipvsadm sorts them), and the same views
// as JSON. The view joins the desired ServiceTable (scheduler,
// flags, weights, forwarding) with the backend's counters; where a backend cannot tell a value
// (XDP keeps no ActiveConn/InActConn) the view holds nullopt and the text prints 0. Pure; any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/dataplane.h"
#include "lb/service_table.h"

namespace keel::ctl {

struct RealView {
  lb::Real real;
  dataplane::Counters counters;
  dataplane::Counters rate;  // per second: conns = CPS, packets = PPS, bytes = BPS
  std::optional<std::uint64_t> active_conns;
  std::optional<std::uint64_t> inactive_conns;
};

struct ServiceView {
  lb::Service service;  // reals left empty: see `reals`
  dataplane::Counters counters;
  dataplane::Counters rate;
  std::vector<RealView> reals;
};

// The table's services joined with `stats` (matched by key; missing ones count 0) and `rates`.
std::vector<ServiceView> buildViews(const lb::ServiceTable& table,
                                    const std::vector<dataplane::ServiceStats>& stats,
                                    const std::vector<dataplane::ServiceStats>& rates);

inline constexpr int kTableSize = 4096;  // what ipvsadm's first line reports as (size=N)

std::string renderList(const std::vector<ServiceView>& views, int table_size = kTableSize);
std::string renderStats(const std::vector<ServiceView>& views, int table_size = kTableSize);
std::string renderRate(const std::vector<ServiceView>& views, int table_size = kTableSize);
std::string renderConnections(const std::vector<dataplane::Connection>& connections);

nlohmann::ordered_json toJson(const std::vector<ServiceView>& views);
nlohmann::ordered_json toJson(const std::vector<dataplane::Connection>& connections);

// ipvsadm's 9-column number: exact below 100 million, then K, M, G, T with 8 digits.
std::string largeNumber(std::uint64_t value);

// `after - before` per second over `seconds` (> 0); counters that went back count 0.
dataplane::Counters ratePerSecond(const dataplane::Counters& before,
                                  const dataplane::Counters& after, double seconds);

}  // namespace keel::ctl
