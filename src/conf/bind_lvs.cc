// virtual_server_group, virtual_server and real_server (docs/reference/keepalived.md §1.11-1.13),
// and the inheritance of checker settings from virtual server to real server to checker (§3.1).
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "conf/bind_blocks.h"
#include "conf/bind_lvs.h"
#include "conf/values.h"
#include "model/validate.h"

namespace keel::conf {

namespace {

using std::chrono::seconds;
using D = model::Duration;

constexpr std::array<std::string_view, 14> kSchedulers = {
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"};

struct VsDraft {
  model::VirtualServer vs;
  Inherited inherited;
  std::optional<int> weight;  // default real-server weight
  bool scheduler_set = false;
  bool forwarding_set = false;
  bool protocol_set = false;
  std::vector<RsDraft> real_servers;
  std::set<std::pair<base::IpAddress, std::uint16_t>> real_keys;  // duplicates, in O(log n)
  const Statement* lb_kind = nullptr;                             // for its place
  const Statement* granularity = nullptr;
};

// TUN's options after the method: [type ipip|gue port N|gre] [nocsum|csum|remcsum].
std::optional<model::TunnelOptions> tunnelOptions(const Statement& s, BindContext& ctx) {
  model::TunnelOptions t;
  std::size_t i = 1;
  const auto word = [&s](std::size_t at) { return at < s.args.size() ? s.args[at].text : ""; };
  if (word(i) == "type") {
    const std::string type = word(i + 1);
    if (type == "gue") {
      t.type = model::TunnelType::Gue;
      if (word(i + 2) != "port") {
        ctx.error(s, static_cast<int>(i + 1), "TUN type gue needs 'port N'");
        return std::nullopt;
      }
      auto port = ctx.port(s, static_cast<int>(i + 3));
      if (!port) return std::nullopt;
      t.port = *port;
      i += 4;
    } else if (type == "ipip" || type == "gre") {
      t.type = type == "gre" ? model::TunnelType::Gre : model::TunnelType::Ipip;
      i += 2;
    } else {
      ctx.error(s, static_cast<int>(i + 1), "TUN type must be ipip, gue or gre");
      return std::nullopt;
    }
  }
  if (const std::string c = word(i); c == "nocsum" || c == "csum" || c == "remcsum") {
    if (c == "remcsum" && t.type != model::TunnelType::Gue) {
      ctx.error(s, static_cast<int>(i), "remcsum needs TUN type gue");
      return std::nullopt;
    }
    t.checksum = c == "csum"      ? model::TunnelChecksum::Csum
                 : c == "remcsum" ? model::TunnelChecksum::RemCsum
                                  : model::TunnelChecksum::NoCsum;
    ++i;
  }
  if (i < s.args.size()) {
    ctx.error(s, static_cast<int>(i), fmt::format("unexpected TUN option '{}'", word(i)));
    return std::nullopt;
  }
  return t;
}

// `lb_kind`/`lvs_method NAT|DR|TUN [TUN options]`; the options go to `*tunnel` and need the IPVS
// data plane (BindContext::needIpvs). Without `tunnel` (the sorry server's) they are refused.
std::optional<model::Forwarding> forwarding(const Statement& s, BindContext& ctx,
                                            model::TunnelOptions* tunnel) {
  if (!ctx.args(s, 1, SIZE_MAX)) return std::nullopt;
  const std::string& m = s.args[0].text;
  if (m == "TUN") {
    if (s.args.size() > 1 && tunnel == nullptr) {
      ctx.refuse(s, 1, "sorry_server_lvs_method", "TUN options");
      return std::nullopt;
    }
    if (s.args.size() > 1) {
      auto t = tunnelOptions(s, ctx);
      if (!t) return std::nullopt;
      *tunnel = *t;
      ctx.needIpvs(s, 1, "lb_kind", "TUN options");
    }
    return model::Forwarding::Tun;
  }
  if (s.args.size() > 1 && (m == "NAT" || m == "DR")) {
    ctx.error(s, 1, fmt::format("{} takes no options", m));
    return std::nullopt;
  }
  if (m == "NAT") return model::Forwarding::Nat;
  if (m == "DR") return model::Forwarding::Dr;
  ctx.error(s, 0, fmt::format("invalid {} \"{}\": expected NAT, DR or TUN", s.keyword, m));
  return std::nullopt;
}

// The last address of a group range `FIRST-END`: END replaces the last byte of an IPv4 address
// (decimal) or the last 16-bit group of an IPv6 address (hex).
std::optional<base::IpAddress> rangeEnd(const base::IpAddress& first, std::string_view end) {
  if (first.isV4()) {
    auto v = parseInt("range end", end, 0, 255);
    if (!v || *v < static_cast<std::int64_t>(first.v4HostOrder() & 0xff)) return std::nullopt;
    return base::IpAddress::v4((first.v4HostOrder() & 0xffffff00u) |
                               static_cast<std::uint32_t>(*v));
  }
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(end.data(), end.data() + end.size(), v, 16);
  if (end.empty() || end.size() > 4 || ec != std::errc{} || ptr != end.data() + end.size()) {
    return std::nullopt;
  }
  std::array<std::uint8_t, 16> bytes{};
  std::copy(first.bytes().begin(), first.bytes().end(), bytes.begin());
  if (v < (static_cast<unsigned>(bytes[14]) << 8 | bytes[15])) return std::nullopt;
  bytes[14] = static_cast<std::uint8_t>(v >> 8);
  bytes[15] = static_cast<std::uint8_t>(v & 0xff);
  return base::IpAddress::fromV6Bytes(bytes);
}

// `IP [PORT]` after a keyword such as real_server or sorry_server.
bool addressAndPort(const Statement& s, base::IpAddress& addr, std::uint16_t& port,
                    BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return false;
  auto a = ctx.address(s, 0);
  std::optional<std::uint16_t> p = std::uint16_t{0};
  if (s.args.size() == 2) p = ctx.port(s, 1);
  if (!a || !p) return false;
  addr = *a;
  port = *p;
  return true;
}

// -- real_server ------------------------------------------------------------------------------

void bindThreshold(const Statement& s, RsDraft& d, BindContext& ctx) {
  ctx.setInt(s, s.keyword == "uthreshold" ? d.rs.uthreshold : d.rs.lthreshold, 0, 2147483647);
  if (d.threshold == nullptr) d.threshold = &s;
}

void bindRsNotify(const Statement& s, RsDraft& d, BindContext& ctx) {
  ctx.setScript(s, s.keyword == "notify_up" ? d.rs.notify_up : d.rs.notify_down);
}

constexpr std::array<Keyword<RsDraft>, 19> kRealServerOwn = {{
    {"weight", Shape::Value,
     [](auto& s, RsDraft& d, auto& ctx) {
       if (auto w = ctx.integer(s, 0, 2147483647)) d.weight = static_cast<int>(*w);
     }},
    {"lvs_method", Shape::Value,
     [](auto& s, RsDraft& d, auto& ctx) {
       model::TunnelOptions t;
       d.rs.forwarding = forwarding(s, ctx, &t);
       if (d.rs.forwarding == model::Forwarding::Tun) d.rs.tunnel = t;
     }},
    {"notify_up", Shape::Value, bindRsNotify},
    {"notify_down", Shape::Value, bindRsNotify},
    {"uthreshold", Shape::Value, bindThreshold},
    {"lthreshold", Shape::Value, bindThreshold},
    {"inhibit_on_failure", Shape::Value,
     bindInheritedFlag<RsDraft, &Inherited::inhibit_on_failure>},
    {"smtp_alert", Shape::Value,
     [](auto& s, RsDraft& d, auto& ctx) {
       if (auto f = ctx.flag(s)) d.rs.smtp_alert = *f;
     }},
    {"virtualhost", Shape::Value,
     [](auto& s, RsDraft& d, auto& ctx) {
       if (auto v = ctx.word(s)) d.inherited.virtualhost = *v;
     }},
    {"HTTP_GET", Shape::Block, bindChecker},
    {"SSL_GET", Shape::Block, bindChecker},
    {"TCP_CHECK", Shape::Block, bindChecker},
    {"SMTP_CHECK", Shape::Block, bindChecker},
    {"DNS_CHECK", Shape::Block, bindChecker},
    {"MISC_CHECK", Shape::Block, bindChecker},
    {"UDP_CHECK", Shape::Block, bindChecker},
    {"PING_CHECK", Shape::Block, bindChecker},
    {"FILE_CHECK", Shape::Block, bindChecker},
    {"BFD_CHECK", Shape::Block, bindChecker},
}};
constexpr auto kRealServer =
    concat(kRealServerOwn, kConnectTimeout<RsDraft>, kTimingKeywords<RsDraft>);

void bindRealServer(const Statement& s, VsDraft& vs, BindContext& ctx) {
  RsDraft d;
  if (!addressAndPort(s, d.rs.address, d.rs.port, ctx)) return;
  bindBlock<RsDraft>(Block::RealServer, *s.block, kRealServer, d, ctx);
  if (!vs.real_keys.emplace(d.rs.address, d.rs.port).second) {
    ctx.error(s, 0,
              fmt::format("real server {} {} is listed twice in this virtual server",
                          d.rs.address.str(), d.rs.port));
    return;
  }
  vs.real_servers.push_back(std::move(d));
}

// -- virtual_server ---------------------------------------------------------------------------

void bindScheduler(const Statement& s, VsDraft& d, BindContext& ctx) {
  auto name = ctx.word(s);
  if (!name) return;
  if (std::find(kSchedulers.begin(), kSchedulers.end(), *name) == kSchedulers.end()) {
    ctx.error(s, 0,
              fmt::format("invalid {} \"{}\": expected one of rr wrr lc wlc lblc sh mh dh "
                          "fo ovf lblcr sed nq twos",
                          s.keyword, *name));
    return;
  }
  d.vs.scheduler = *name;
  d.scheduler_set = true;
}

void bindProtocol(const Statement& s, VsDraft& d, BindContext& ctx) {
  auto p = ctx.word(s);
  if (!p) return;
  std::string upper = *p;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "TCP") {
    d.vs.protocol = model::Protocol::Tcp;
  } else if (upper == "UDP") {
    d.vs.protocol = model::Protocol::Udp;
  } else if (upper == "SCTP") {
    d.vs.protocol = model::Protocol::Sctp;
    ctx.needIpvs(s, 0, "protocol", "SCTP");
  } else {
    ctx.error(s, 0, fmt::format("invalid protocol \"{}\": expected TCP, UDP or SCTP", *p));
    return;
  }
  d.protocol_set = true;
}

void bindPersistence(const Statement& s, VsDraft& d, BindContext& ctx) {
  if (!ctx.args(s, 0, 1)) return;
  if (s.args.empty()) {
    d.vs.persistence_timeout = seconds(360);
    return;
  }
  if (auto t = ctx.integer(s, 1, 31 * 86400)) d.vs.persistence_timeout = seconds(*t);
}

// persistence_granularity: an IPv4 netmask (255.255.255.0) or an IPv6 prefix length (64), kept
// as a prefix of that length.
void bindGranularity(const Statement& s, VsDraft& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  const std::string& text = s.args[0].text;
  base::Result<base::Prefix> p = base::makeError(base::ErrorCode::Parse, "");
  if (auto mask = base::IpAddress::parse(text); mask && mask->isV4()) {
    std::uint32_t bits = mask->v4HostOrder();
    int length = std::countl_one(bits);
    if (length == 32 || (bits << length) == 0)
      p = base::Prefix::make(base::IpAddress::v4(0), length);
  } else if (auto n = parseInt(s.keyword, text, 1, 128)) {
    p = base::Prefix::make(base::IpAddress::fromV6Bytes({}), static_cast<int>(*n));
  }
  if (p) {
    d.vs.persistence_granularity = *p;
    d.granularity = &s;
    return;
  }
  ctx.error(s, 0,
            fmt::format("invalid persistence_granularity \"{}\": expected an IPv4 netmask "
                        "(255.255.255.0) or an IPv6 prefix length (1-128)",
                        text));
}

void bindSorryServer(const Statement& s, VsDraft& d, BindContext& ctx) {
  model::SorryServer sorry;
  if (addressAndPort(s, sorry.address, sorry.port, ctx)) d.vs.sorry_server = sorry;
}

using VD = VsDraft;

void bindForwarding(const Statement& s, VD& d, BindContext& ctx) {
  if (auto f = forwarding(s, ctx, &d.vs.tunnel)) {
    d.vs.forwarding = *f;
    d.forwarding_set = true;
    d.lb_kind = &s;
  }
}

void bindSchedulerFlag(const Statement& s, VD& d, BindContext& ctx) {
  if (ctx.args(s, 0, 0)) d.vs.scheduler_flags.push_back(s.keyword);
}

constexpr std::array<Keyword<VD>, 26> kVirtualServerOwn = {{
    {"lb_algo", Shape::Value, bindScheduler},
    {"lvs_sched", Shape::Value, bindScheduler},
    {"lb_kind", Shape::Value, bindForwarding},
    {"lvs_method", Shape::Value, bindForwarding},
    {"protocol", Shape::Value, bindProtocol},
    {"persistence_timeout", Shape::Value, bindPersistence},
    {"persistence_granularity", Shape::Value, bindGranularity},
    {"ops", Shape::Value, [](auto& s, VD& d, auto& ctx) { ctx.setFlag(s, d.vs.ops); }},
    {"inhibit_on_failure", Shape::Value, bindInheritedFlag<VD, &Inherited::inhibit_on_failure>},
    {"quorum", Shape::Value,
     [](auto& s, VD& d, auto& ctx) { ctx.setInt(s, d.vs.quorum, 1, 2147483647); }},
    {"hysteresis", Shape::Value,
     [](auto& s, VD& d, auto& ctx) { ctx.setInt(s, d.vs.hysteresis, 0, 2147483647); }},
    {"quorum_up", Shape::Value,
     [](auto& s, VD& d, auto& ctx) { ctx.setScript(s, d.vs.quorum_up); }},
    {"quorum_down", Shape::Value,
     [](auto& s, VD& d, auto& ctx) { ctx.setScript(s, d.vs.quorum_down); }},
    {"sorry_server", Shape::Value, bindSorryServer},
    {"sorry_server_lvs_method", Shape::Value,
     [](auto& s, VD& d, auto& ctx) {
       if (!d.vs.sorry_server) {
         ctx.error(s, -1, "sorry_server_lvs_method before sorry_server");
       } else if (auto f = forwarding(s, ctx, nullptr)) {
         d.vs.sorry_server->forwarding = *f;
       }
     }},
    {"virtualhost", Shape::Value,
     [](auto& s, VD& d, auto& ctx) {
       if (auto v = ctx.word(s)) d.inherited.virtualhost = *v;
     }},
    {"weight", Shape::Value,
     [](auto& s, VD& d, auto& ctx) {
       if (auto w = ctx.integer(s, 0, 2147483647)) d.weight = static_cast<int>(*w);
     }},
    {"ha_suspend", Shape::Value,
     [](auto& s, VD& d, auto& ctx) { ctx.setFlag(s, d.vs.ha_suspend); }},
    {"smtp_alert", Shape::Value,
     [](auto& s, VD& d, auto& ctx) {
       if (auto f = ctx.flag(s)) d.vs.smtp_alert = *f;
     }},
    {"real_server", Shape::Block, bindRealServer},
    {"sh-port", Shape::Value, bindSchedulerFlag},
    {"sh-fallback", Shape::Value, bindSchedulerFlag},
    {"mh-port", Shape::Value, bindSchedulerFlag},
    {"mh-fallback", Shape::Value, bindSchedulerFlag},
    {"flag-1", Shape::Value, bindSchedulerFlag},
    {"flag-2", Shape::Value, bindSchedulerFlag},
}};
constexpr auto kVirtualServer = concat(kVirtualServerOwn, kConnectTimeout<VD>, kTimingKeywords<VD>);

void bindVsBody(const Statement& s, VsDraft& d, BindContext& ctx) {
  bindBlock<VD>(Block::VirtualServer, *s.block, kVirtualServer, d, ctx);
}

template <class T>
T pick(const std::optional<T>& checker, const std::optional<T>& rs, const std::optional<T>& vs,
       T fallback) {
  return checker.value_or(rs.value_or(vs.value_or(fallback)));
}

// Applies docs/reference/keepalived.md §3.1: checker setting, else real server's, else virtual
// server's, else the checker type's default.
void resolve(VsDraft& d) {
  const Inherited& v = d.inherited;
  d.vs.delay_loop = v.delay_loop.value_or(d.vs.delay_loop);
  d.vs.inhibit_on_failure = v.inhibit_on_failure.value_or(false);
  d.vs.alpha = v.alpha.value_or(false);
  d.vs.virtualhost = v.virtualhost.value_or("");
  for (RsDraft& r : d.real_servers) {
    const Inherited& i = r.inherited;
    r.rs.weight = r.weight.value_or(d.weight.value_or(1));
    r.rs.inhibit_on_failure = i.inhibit_on_failure.value_or(d.vs.inhibit_on_failure);
    for (CheckDraft& c : r.checks) {
      const Inherited& o = c.inherited;
      auto& kind = c.checker.kind;
      bool http = std::holds_alternative<model::HttpCheck>(kind);
      bool dns = std::holds_alternative<model::DnsCheck>(kind);
      bool misc = std::holds_alternative<model::MiscCheck>(kind);
      model::CheckTiming& t = c.checker.timing;
      t.delay_loop = pick(o.delay_loop, i.delay_loop, v.delay_loop, d.vs.delay_loop);
      t.connect_timeout =
          pick(o.connect_timeout, i.connect_timeout, v.connect_timeout, D{seconds(5)});
      t.retry = pick(o.retry, i.retry, v.retry, misc ? 0 : dns ? 3 : 1);
      D retry_gap = http ? D{seconds(3)} : dns ? t.delay_loop : D{seconds(1)};
      t.delay_before_retry =
          pick(o.delay_before_retry, i.delay_before_retry, v.delay_before_retry, retry_gap);
      if (auto w = o.warmup ? o.warmup : i.warmup ? i.warmup : v.warmup) t.warmup = *w;
      t.alpha = pick(o.alpha, i.alpha, v.alpha, false);
      t.log_all_failures = o.log_all_failures.value_or(false);
      if (auto* h = std::get_if<model::HttpCheck>(&kind); h && h->virtualhost.empty()) {
        h->virtualhost = i.virtualhost.value_or(d.vs.virtualhost);
      }
      r.rs.checkers.push_back(std::move(c.checker));
    }
    d.vs.real_servers.push_back(std::move(r.rs));
  }
}

// `virtual_server IP [PORT] | fwmark N | group NAME`.
bool bindKey(const Statement& s, VsDraft& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return false;
  if (s.args[0].text == "fwmark" || s.args[0].text == "group") {
    if (!ctx.args(s, 2, 2)) return false;
    if (s.args[0].text == "group") {
      d.vs.key = model::VsGroup{s.args[1].text};
      return true;
    }
    auto mark = ctx.integer(s, 1, 0xffffffff, 1);
    if (!mark) return false;
    d.vs.key = model::VsFwmark{static_cast<std::uint32_t>(*mark)};
    ctx.needIpvs(s, 0, "virtual_server", "fwmark");
    return true;
  }
  model::VsAddress a;
  if (!addressAndPort(s, a.address, a.port, ctx)) return false;
  d.vs.key = a;
  return true;
}

// Missing essentials get keepalived's defaults, with keepalived's complaint as an error.
void checkEssentials(const Statement& s, VsDraft& d, BindContext& ctx) {
  if (!d.scheduler_set) ctx.error(s, -1, "no scheduler set (lb_algo), defaulting to wlc");
  if (!d.forwarding_set) ctx.error(s, -1, "no forwarding method set (lb_kind), defaulting to NAT");
  const bool fwmark = std::holds_alternative<model::VsFwmark>(d.vs.key);
  if (d.protocol_set && fwmark) {
    ctx.error(s, -1, "protocol specified for fwmark virtual server - ignoring");
  }
  if (!d.protocol_set && !fwmark) {
    ctx.error(s, -1, "no protocol set - defaulting to UDP");
    d.vs.protocol = model::Protocol::Udp;
  }
}

// persistence_granularity is a netmask for an IPv4 service and a prefix length for an IPv6 one.
void checkGranularity(const VsDraft& d, BindContext& ctx) {
  const auto* a = std::get_if<model::VsAddress>(&d.vs.key);
  if (a == nullptr || d.granularity == nullptr) return;
  if (a->address.isV4() == d.vs.persistence_granularity->address().isV4()) return;
  ctx.error(*d.granularity, 0,
            a->address.isV4() ? "an IPv4 service's persistence_granularity is a netmask "
                                "(255.255.255.0)"
                              : "an IPv6 service's persistence_granularity is a prefix length "
                                "(1-128)");
}

// DR and TUN cannot change the destination port: keepalived resets a real server's port to the
// virtual server's and reports it, and so does keel.
void checkPorts(const Statement& s, VsDraft& d, BindContext& ctx) {
  const auto* a = std::get_if<model::VsAddress>(&d.vs.key);
  if (a == nullptr || a->port == 0) return;
  const char* proto = d.vs.protocol == model::Protocol::Udp    ? "udp"
                      : d.vs.protocol == model::Protocol::Sctp ? "sctp"
                                                               : "tcp";
  for (RsDraft& r : d.real_servers) {
    model::Forwarding f = r.rs.forwarding.value_or(d.vs.forwarding);
    if (f == model::Forwarding::Nat || r.rs.port == a->port || r.rs.port == 0) continue;
    ctx.error(s, -1,
              fmt::format("virtual server [{}]:{}:{} and real server [{}]:{}:{} ports don't "
                          "match - resetting",
                          a->address.str(), proto, a->port, r.rs.address.str(), proto, r.rs.port));
    r.rs.port = a->port;
  }
}

}  // namespace

// Notes where the virtual server, its lb_kind and its first threshold were written, under its
// name (known only now: the protocol may come last).
void noteVirtualServer(const Statement& s, const VsDraft& d, BindContext& ctx) {
  const std::string name = model::virtualServerName(d.vs);
  ctx.note({"virtual_server", name}, s);
  if (d.lb_kind != nullptr) ctx.note({"virtual_server", name, "lb_kind"}, *d.lb_kind);
  for (const RsDraft& r : d.real_servers) {
    if (r.threshold == nullptr) continue;
    ctx.note({"virtual_server", name, "threshold"}, *r.threshold, -1);
    ctx.facts().threshold_services.push_back(name);
    break;
  }
}

void bindVirtualServer(const Statement& s, model::Config& c, BindContext& ctx) {
  VsDraft d;
  if (!bindKey(s, d, ctx)) return;
  bindVsBody(s, d, ctx);
  checkEssentials(s, d, ctx);
  checkPorts(s, d, ctx);
  checkGranularity(d, ctx);
  noteVirtualServer(s, d, ctx);
  resolve(d);
  c.virtual_servers.push_back(std::move(d.vs));
}

void bindVirtualServerGroup(const Statement& s, model::Config& c, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  model::VirtualServerGroup g;
  g.name = s.args[0].text;
  for (const Statement& e : *s.block) {
    model::VsGroupEntry entry;
    if (e.keyword == "fwmark") {
      if (auto m = ctx.integer(e, 1, 0xffffffff)) entry.fwmark = static_cast<std::uint32_t>(*m);
      ctx.needIpvs(e, -1, "virtual_server_group", "fwmark");
      g.entries.push_back(entry);
      continue;
    }
    std::string_view text = e.keyword;
    auto dash = text.find('-');
    auto first = base::IpAddress::parse(text.substr(0, dash));
    if (!first) {
      ctx.error(e, -1, first.error().message);
      continue;
    }
    entry.first = entry.last = *first;
    if (dash != std::string_view::npos) {
      auto last = rangeEnd(*first, text.substr(dash + 1));
      if (!last) {
        ctx.error(e, -1,
                  fmt::format("invalid address range \"{}\": the part after '-' is the "
                              "last byte (IPv4, decimal) or group (IPv6, hex) of the range "
                              "and must not be below the first",
                              text));
        continue;
      }
      entry.last = *last;
    }
    if (e.args.size() == 1) {
      if (auto p = ctx.port(e, 0)) entry.port = *p;
    } else if (!e.args.empty()) {
      ctx.error(e, 1, "expected 'ADDRESS[-LAST] [PORT]' or 'fwmark N'");
      continue;
    }
    g.entries.push_back(entry);
  }
  c.virtual_server_groups.push_back(std::move(g));
}

std::vector<std::string_view> lvsBound(Block block) {
  if (block == Block::VirtualServer) return namesOf(kVirtualServer);
  if (block == Block::RealServer) return namesOf(kRealServer);
  return checkBound(block);
}

}  // namespace keel::conf
