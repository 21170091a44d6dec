#include "ctl/ipvsadm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace keel::ctl {

namespace {

using dataplane::Counters;
using dataplane::ServiceStats;

const ServiceStats* findStats(const std::vector<ServiceStats>& all, const lb::ServiceKey& key) {
  auto it =
      std::find_if(all.begin(), all.end(), [&key](const ServiceStats& s) { return s.key == key; });
  return it == all.end() ? nullptr : &*it;
}

const dataplane::RealStats* findReal(const ServiceStats* service, const lb::RealKey& key) {
  if (service == nullptr) return nullptr;
  auto it = std::find_if(service->reals.begin(), service->reals.end(),
                         [&key](const dataplane::RealStats& r) { return r.key == key; });
  return it == service->reals.end() ? nullptr : &*it;
}

RealView realView(const lb::Real& real, const ServiceStats* stats, const ServiceStats* rates) {
  RealView view{real, {}, {}, std::nullopt, std::nullopt};
  if (const auto* s = findReal(stats, real.key)) {
    view.counters = s->counters;
    view.active_conns = s->active_conns;
    view.inactive_conns = s->inactive_conns;
  }
  if (const auto* r = findReal(rates, real.key)) view.rate = r->counters;
  return view;
}

// ipvsadm's service name: "TCP  1.2.3.4:80", "SCTP 1.2.3.4:9", "UDP  [2001:db8::1]:53",
// "FWM  7", "FWM  8 IPv6".
std::string serviceName(const lb::ServiceKey& key) {
  if (key.isFwmark()) {
    return fmt::format("FWM  {}{}", key.fwmark, key.address.isV6() ? " IPv6" : "");
  }
  return fmt::format("{:<4} {}", base::ipProtocolName(key.protocol),
                     lb::RealKey{key.address, key.port}.str());
}

// The scheduler flags as the kernel stores them (IP_VS_SVC_F_SCHED1..3) and ipvsadm prints
// them: in bit order, named sh-/mh- for those schedulers and flag-N otherwise.
std::vector<std::string> flagNames(const lb::Service& s) {
  unsigned bits = 0;
  for (const std::string& n : s.scheduler_flags) {
    if (n == "sh-fallback" || n == "mh-fallback" || n == "flag-1") bits |= 1U;
    if (n == "sh-port" || n == "mh-port" || n == "flag-2") bits |= 2U;
    if (n == "flag-3") bits |= 4U;
  }
  const bool hashing = s.scheduler == "sh" || s.scheduler == "mh";
  std::vector<std::string> out;
  if ((bits & 1U) != 0) out.push_back(hashing ? s.scheduler + "-fallback" : "flag-1");
  if ((bits & 2U) != 0) out.push_back(hashing ? s.scheduler + "-port" : "flag-2");
  if ((bits & 4U) != 0) out.emplace_back("flag-3");
  return out;
}

// C's `int r = a - b` on unsigned values, as ipvsadm's comparisons compute it.
int difference(std::uint32_t a, std::uint32_t b) { return static_cast<int>(a - b); }

int compareAddresses(const base::IpAddress& a, const base::IpAddress& b) {
  const auto x = a.bytes();
  const auto y = b.bytes();
  int r = 0;
  for (std::size_t i = 0; r == 0 && i + 4 <= x.size() && i + 4 <= y.size(); i += 4) {
    auto word = [i](std::span<const std::uint8_t> v) {
      return std::uint32_t{v[i]} << 24 | std::uint32_t{v[i + 1]} << 16 |
             std::uint32_t{v[i + 2]} << 8 | v[i + 3];
    };
    r = difference(word(x), word(y));
  }
  return r;
}

int protocolNumber(const lb::ServiceKey& k) {
  if (k.isFwmark()) return 0;
  switch (k.protocol) {
    case base::IpProtocol::Udp:
      return 17;
    case base::IpProtocol::Sctp:
      return 132;
    case base::IpProtocol::Tcp:
      break;
  }
  return 6;
}

// ipvsadm's service order (libipvs ipvs_cmp_services): fwmark, family, protocol, address, port.
int compareServices(const lb::ServiceKey& a, const lb::ServiceKey& b) {
  int r = difference(a.fwmark, b.fwmark);
  if (r == 0) r = a.address.family() - b.address.family();
  if (r == 0) r = protocolNumber(a) - protocolNumber(b);
  if (r == 0) r = compareAddresses(a.address, b.address);
  return r != 0 ? r : a.port - b.port;
}

// ipvsadm's destination order (ipvs_cmp_dests): family, address, port.
int compareReals(const lb::RealKey& a, const lb::RealKey& b) {
  int r = a.address.family() - b.address.family();
  if (r == 0) r = compareAddresses(a.address, b.address);
  return r != 0 ? r : a.port - b.port;
}

std::string netmask(const lb::Service& s) {
  const int bits = s.key.address.isV6() ? 128 : 32;
  if (s.persistence_prefix == 0 || s.persistence_prefix == bits) return "";
  if (s.key.address.isV6()) return fmt::format(" mask {}", s.persistence_prefix);
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - s.persistence_prefix);
  return fmt::format(" mask {}.{}.{}.{}", mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff,
                     mask & 0xff);
}

std::string serviceLine(const ServiceView& v) {
  const lb::Service& s = v.service;
  std::string line = serviceName(s.key) + " " + s.scheduler;
  if (const auto flags = flagNames(s); !flags.empty()) {
    line += fmt::format(" ({})", fmt::join(flags, ","));
  }
  if (s.persistent()) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(s.persistence_timeout);
    line += fmt::format(" persistent {}", secs.count()) + netmask(s);
  }
  if (s.one_packet) line += " ops";
  return line + "\n";
}

std::string realLine(const RealView& r) {
  return fmt::format("  -> {:<28} {:<7} {:<6} {:<10} {:<10}\n", r.real.key.str(),
                     lb::forwardingName(r.real.forwarding), r.real.weight,
                     r.active_conns.value_or(0), r.inactive_conns.value_or(0));
}

std::string header(int table_size) {
  return fmt::format("IP Virtual Server version 1.2.1 (size={})\n", table_size);
}

std::string statsColumns(const Counters& c) {
  return largeNumber(c.conns) + largeNumber(c.in_packets) + largeNumber(c.out_packets) +
         largeNumber(c.in_bytes) + largeNumber(c.out_bytes) + "\n";
}

std::string rateColumns(const Counters& c) {
  return fmt::format(" {:>8} {:>8} {:>8}", c.conns, c.in_packets, c.out_packets) +
         largeNumber(c.in_bytes) + largeNumber(c.out_bytes) + "\n";
}

template <typename Columns>
std::string renderCounters(const std::vector<ServiceView>& views, int table_size,
                           const char* titles, Columns columns, bool rate) {
  std::string out = header(table_size) + titles + "  -> RemoteAddress:Port\n";
  for (const ServiceView& v : views) {
    out += fmt::format("{:<33}", serviceName(v.service.key)) + columns(rate ? v.rate : v.counters);
    for (const RealView& r : v.reals) {
      out += fmt::format("  -> {:<28}", r.real.key.str()) + columns(rate ? r.rate : r.counters);
    }
  }
  return out;
}

nlohmann::ordered_json countersJson(const Counters& c) {
  return {{"conns", c.conns},
          {"in_packets", c.in_packets},
          {"out_packets", c.out_packets},
          {"in_bytes", c.in_bytes},
          {"out_bytes", c.out_bytes}};
}

nlohmann::ordered_json optionalJson(const std::optional<std::uint64_t>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json realJson(const RealView& r) {
  return {{"address", r.real.key.address.str()},
          {"port", r.real.key.port},
          {"forward", lb::forwardingName(r.real.forwarding)},
          {"weight", r.real.weight},
          {"active_conns", optionalJson(r.active_conns)},
          {"inactive_conns", optionalJson(r.inactive_conns)},
          {"stats", countersJson(r.counters)},
          {"rate", countersJson(r.rate)}};
}

nlohmann::ordered_json serviceJson(const ServiceView& v) {
  const lb::Service& s = v.service;
  nlohmann::ordered_json reals = nlohmann::ordered_json::array();
  for (const RealView& r : v.reals) reals.push_back(realJson(r));
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(s.persistence_timeout);
  return {{"service", s.key.str()},
          {"protocol", s.key.isFwmark() ? "FWM" : base::ipProtocolName(s.key.protocol)},
          {"address", s.key.isFwmark() ? "" : s.key.address.str()},
          {"port", s.key.port},
          {"fwmark", s.key.fwmark},
          {"scheduler", s.scheduler},
          {"scheduler_flags", s.scheduler_flags},
          {"persistence_timeout", secs.count()},
          {"persistence_prefix", s.persistence_prefix},
          {"ops", s.one_packet},
          {"stats", countersJson(v.counters)},
          {"rate", countersJson(v.rate)},
          {"reals", reals}};
}

std::string mmss(std::chrono::seconds s) {
  const auto total = std::max<std::int64_t>(0, s.count());
  return fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

std::vector<ServiceView> buildViews(const lb::ServiceTable& table,
                                    const std::vector<ServiceStats>& stats,
                                    const std::vector<ServiceStats>& rates) {
  std::vector<ServiceView> out;
  for (const lb::ServicePtr& service : table.services) {
    ServiceView view{*service, {}, {}, {}};
    view.service.reals.clear();
    const ServiceStats* s = findStats(stats, service->key);
    const ServiceStats* r = findStats(rates, service->key);
    if (s != nullptr) view.counters = s->counters;
    if (r != nullptr) view.rate = r->counters;
    for (const lb::Real& real : service->reals) view.reals.push_back(realView(real, s, r));
    std::stable_sort(view.reals.begin(), view.reals.end(),
                     [](const RealView& a, const RealView& b) {
                       return compareReals(a.real.key, b.real.key) < 0;
                     });
    out.push_back(std::move(view));
  }
  std::stable_sort(out.begin(), out.end(), [](const ServiceView& a, const ServiceView& b) {
    return compareServices(a.service.key, b.service.key) < 0;
  });
  return out;
}

std::string renderList(const std::vector<ServiceView>& views, int table_size) {
  std::string out = header(table_size) +
                    "Prot LocalAddress:Port Scheduler Flags\n"
                    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
  for (const ServiceView& v : views) {
    out += serviceLine(v);
    for (const RealView& r : v.reals) out += realLine(r);
  }
  return out;
}

std::string renderStats(const std::vector<ServiceView>& views, int table_size) {
  return renderCounters(
      views, table_size,
      "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
      statsColumns, false);
}

std::string renderRate(const std::vector<ServiceView>& views, int table_size) {
  return renderCounters(
      views, table_size,
      "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n",
      rateColumns, true);
}

std::string renderConnections(const std::vector<dataplane::Connection>& connections) {
  std::string out =
      "IPVS connection entries\n"
      "pro expire state       source             virtual            destination\n";
  for (const dataplane::Connection& c : connections) {
    const std::string source = lb::RealKey{c.client, c.client_port}.str();
    const std::string virt = c.service.isFwmark()
                                 ? fmt::format("FWM {}", c.service.fwmark)
                                 : lb::RealKey{c.service.address, c.service.port}.str();
    out += fmt::format("{:<3} {:<6} {:<11} {:<18} {:<18} {}\n", base::ipProtocolName(c.protocol),
                       mmss(c.expires), c.state, source, virt, c.real.str());
  }
  return out;
}

nlohmann::ordered_json toJson(const std::vector<ServiceView>& views) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ServiceView& v : views) out.push_back(serviceJson(v));
  return out;
}

nlohmann::ordered_json toJson(const std::vector<dataplane::Connection>& connections) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const dataplane::Connection& c : connections) {
    out.push_back({{"protocol", base::ipProtocolName(c.protocol)},
                   {"client", lb::RealKey{c.client, c.client_port}.str()},
                   {"service", c.service.str()},
                   {"real", c.real.str()},
                   {"state", c.state},
                   {"expires", c.expires.count()}});
  }
  return out;
}

std::string largeNumber(std::uint64_t value) {
  // ipvsadm's thresholds: below 1e8 exact, then K below 1e9, M below 1e11, G below 1e14, else T.
  if (value < 100'000'000ULL) return fmt::format("{:>9}", value);
  if (value < 1'000'000'000ULL) return fmt::format("{:>8}K", value / 1'000ULL);
  if (value < 100'000'000'000ULL) return fmt::format("{:>8}M", value / 1'000'000ULL);
  if (value < 100'000'000'000'000ULL) return fmt::format("{:>8}G", value / 1'000'000'000ULL);
  return fmt::format("{:>8}T", value / 1'000'000'000'000ULL);
}

dataplane::Counters ratePerSecond(const Counters& before, const Counters& after, double seconds) {
  auto per = [seconds](std::uint64_t a, std::uint64_t b) -> std::uint64_t {
    if (b < a || seconds <= 0) return 0;
    return static_cast<std::uint64_t>(std::llround(static_cast<double>(b - a) / seconds));
  };
  return {per(before.conns, after.conns), per(before.in_packets, after.in_packets),
          per(before.in_bytes, after.in_bytes), per(before.out_packets, after.out_packets),
          per(before.out_bytes, after.out_bytes)};
}

}  // namespace keel::ctl
