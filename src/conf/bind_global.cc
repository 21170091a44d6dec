// global_defs { ... } (docs/reference/keepalived.md §1.6).
#include <array>

#include "conf/bind_blocks.h"
#include "conf/values.h"

namespace keel::conf {

namespace {

using G = model::GlobalDefs;
using std::chrono::seconds;
using D = model::Duration;

void bindNotificationEmail(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& entry : *s.block) {
    g.notification_email.push_back(entry.keyword);
    for (const Token& t : entry.args) g.notification_email.push_back(t.text);
  }
}

void bindSmtpServer(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return;
  g.smtp_server = s.args[0].text;
  if (s.args.size() == 2) {
    if (auto p = ctx.port(s, 1)) g.smtp_server_port = *p;
  }
}

void setOptFlag(const Statement& s, std::optional<bool>& field, BindContext& ctx) {
  if (auto f = ctx.flag(s)) field = *f;
}

void bindUser(const Statement& s, model::Script& field, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return;
  field.user = s.args[0].text;
  if (s.args.size() == 2) field.group = s.args[1].text;
}

void bindFifo(const Statement& s, model::Script& field, BindContext& ctx) {
  if (!ctx.args(s, 1, 3)) return;
  field = {{s.args[0].text},
           s.args.size() > 1 ? s.args[1].text : "",
           s.args.size() > 2 ? s.args[2].text : "",
           false};
}

void bindGroup6(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  auto a = ctx.address(s);
  if (a && !a->isV6()) ctx.error(s, 0, "vrrp_mcast_group6 needs an IPv6 multicast address");
  if (a && a->isV6()) g.vrrp_mcast_group6 = *a;
}

// keel extension: keel_metrics_listen ADDR:PORT (docs/metrics.md).
void bindMetricsListen(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (!base::Endpoint::parse(s.args[0].text)) {
    ctx.error(s, 0, "keel_metrics_listen needs ADDRESS:PORT (an IPv6 address in brackets)");
    return;
  }
  g.keel_metrics_listen = s.args[0].text;
}

void bindGroup4(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  auto a = ctx.address(s);
  if (a && !(a->isV4() && a->isMulticast())) {
    ctx.error(s, 0, "vrrp_mcast_group4 needs an IPv4 multicast address");
  } else if (a) {
    g.vrrp_mcast_group4 = *a;
  }
}

void bindDataplane(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  const std::string& v = s.args[0].text;
  if (v == "auto") {
    g.dataplane = model::DataplaneKind::Auto;
  } else if (v == "xdp") {
    g.dataplane = model::DataplaneKind::Xdp;
  } else if (v == "proxy") {
    g.dataplane = model::DataplaneKind::Proxy;
  } else if (v == "ipvs") {
    g.dataplane = model::DataplaneKind::Ipvs;
  } else {
    ctx.error(s, 0, "keel_dataplane must be auto, xdp, ipvs or proxy, not '" + v + "'");
  }
}

// lvs_timeouts [tcp S] [tcpfin S] [udp S], each at most 31 days (keepalived's LVS_MAX_TIMEOUT).
void bindLvsTimeouts(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 2, 6)) return;
  for (std::size_t i = 0; i < s.args.size(); i += 2) {
    const std::string& k = s.args[i].text;
    int* field = k == "tcp"      ? &g.lvs_timeouts.tcp
                 : k == "tcpfin" ? &g.lvs_timeouts.tcp_fin
                 : k == "udp"    ? &g.lvs_timeouts.udp
                                 : nullptr;
    if (field == nullptr || i + 1 >= s.args.size()) {
      ctx.error(s, static_cast<int>(i),
                field == nullptr ? "unknown lvs_timeouts option '" + k + "' (tcp, tcpfin, udp)"
                                 : "lvs_timeouts " + k + " needs a number of seconds");
      return;
    }
    auto v = ctx.integer(s, 0, 31 * 86400, static_cast<int>(i + 1));
    if (v) *field = static_cast<int>(*v);
  }
  ctx.needIpvs(s, -1, "lvs_timeouts", "without keel_dataplane ipvs");
}

// One `NAME VALUE` option of lvs_sync_daemon; false (with the error given) when it is wrong.
bool bindSyncOption(const Statement& s, std::size_t i, model::LvsSyncDaemon& d, BindContext& ctx) {
  const std::string& k = s.args[i].text;
  const int at = static_cast<int>(i + 1);
  if (i + 1 >= s.args.size()) {
    ctx.error(s, static_cast<int>(i), "lvs_sync_daemon " + k + " needs a value");
    return false;
  }
  if (k == "group") {
    auto a = ctx.address(s, at);
    if (a && !a->isMulticast()) ctx.error(s, at, "lvs_sync_daemon group must be multicast");
    if (!a || !a->isMulticast()) return false;
    d.group = *a;
    return true;
  }
  const std::int64_t max = k == "id" || k == "ttl" ? 255 : k == "maxlen" ? 65535 - 28 : 65535;
  if (k != "id" && k != "maxlen" && k != "port" && k != "ttl") {
    ctx.error(s, static_cast<int>(i), "unknown lvs_sync_daemon option '" + k + "'");
    return false;
  }
  auto v = ctx.integer(s, k == "ttl" ? 1 : 0, max, at);
  if (!v) return false;
  const int n = static_cast<int>(*v);
  if (k == "id") d.sync_id = n;
  if (k == "maxlen") d.max_len = n;
  if (k == "port") d.port = n;
  if (k == "ttl") d.ttl = n;
  return true;
}

// lvs_sync_daemon IF [inst] VI [id N] [maxlen N] [port N] [ttl N] [group ADDR].
void bindLvsSyncDaemon(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 2, 13)) return;
  model::LvsSyncDaemon d;
  d.interface = s.args[0].text;
  std::size_t i = 1;
  if (s.args[i].text == "inst" && s.args.size() > 2) ++i;
  d.instance = s.args[i].text;
  if (d.interface.size() >= 16) {
    ctx.error(s, 0, "lvs_sync_daemon interface name '" + d.interface + "' is too long");
    return;
  }
  for (++i; i < s.args.size(); i += 2) {
    if (!bindSyncOption(s, i, d, ctx)) return;
  }
  g.lvs_sync_daemon = std::move(d);
  ctx.needIpvs(s, -1, "lvs_sync_daemon", "without keel_dataplane ipvs");
}

// keel extension: keel_proxy_client_prefix V4-LENGTH V6-LENGTH (docs/dataplane.md, "Limits").
void bindClientPrefix(const Statement& s, G& g, BindContext& ctx) {
  if (!ctx.args(s, 2, 2)) return;
  auto v4 = parseInt(s.keyword, s.args[0].text, 1, 32);
  auto v6 = parseInt(s.keyword, s.args[1].text, 1, 128);
  if (!v4) ctx.error(s, 0, v4.error().message);
  if (!v6) ctx.error(s, 1, v6.error().message);
  if (!v4 || !v6) return;
  g.proxy_client_prefix4 = static_cast<int>(*v4);
  g.proxy_client_prefix6 = static_cast<int>(*v6);
}

// vrrp_cpu_affinity / bfd_cpu_affinity CPU [CPU]...: the thread's CPUs (ids as /proc/cpuinfo's
// "processor").
void bindCpus(const Statement& s, std::vector<int>& cpus, BindContext& ctx) {
  if (!ctx.args(s, 1, 1024)) return;
  cpus.clear();
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    auto cpu = parseInt(s.keyword, s.args[i].text, 0, 1023);
    if (!cpu) {
      ctx.error(s, static_cast<int>(i), cpu.error().message);
      continue;
    }
    cpus.push_back(static_cast<int>(*cpu));
  }
}

void bindRtPriority(const Statement& s, G& g, BindContext& ctx) {
  // 0 (a keel extension) keeps normal scheduling: keel's default is SCHED_RR 1 (docs/vrrp.md).
  if (auto v = ctx.integer(s, 0, 99)) g.vrrp_rt_priority = static_cast<int>(*v);
}

void bindRlimitRttime(const Statement& s, G& g, BindContext& ctx) {
  if (auto v = ctx.integer(s, 2, INT64_MAX)) g.vrrp_rlimit_rttime = static_cast<std::uint64_t>(*v);
}

constexpr D kMaxDelay = seconds(86400);

// Implemented keywords, and warned ones whose values are still checked (keyword_table.h).
constexpr std::array<Keyword<G>, 48> kGlobalDefs = {{
    {"router_id", Shape::Value, [](auto& s, G& g, auto& ctx) { ctx.setWord(s, g.router_id); }},
    {"notification_email", Shape::Block, bindNotificationEmail},
    {"notification_email_from", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setWord(s, g.notification_email_from); }},
    {"smtp_server", Shape::Value, bindSmtpServer},
    {"smtp_helo_name", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setWord(s, g.smtp_helo_name); }},
    {"smtp_connect_timeout", Shape::Value,
     [](auto& s, G& g, auto& ctx) {
       ctx.setTimer(s, g.smtp_connect_timeout, seconds(1), seconds(3600));
     }},
    {"smtp_alert", Shape::Value,
     [](auto& s, G& g, auto& ctx) { setOptFlag(s, g.smtp_alert, ctx); }},
    {"smtp_alert_vrrp", Shape::Value,
     [](auto& s, G& g, auto& ctx) { setOptFlag(s, g.smtp_alert_vrrp, ctx); }},
    {"smtp_alert_checker", Shape::Value,
     [](auto& s, G& g, auto& ctx) { setOptFlag(s, g.smtp_alert_checker, ctx); }},
    {"no_email_faults", Shape::Value,
     [](auto& s, G& g, auto& ctx) {
       if (ctx.args(s, 0, 0)) g.no_email_faults = true;
     }},
    {"bfd_rt_priority", Shape::Value,
     [](auto& s, G& g, auto& ctx) {
       if (auto v = ctx.integer(s, 1, 99)) g.bfd_rt_priority = static_cast<int>(*v);
     }},
    {"bfd_cpu_affinity", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindCpus(s, g.bfd_cpu_affinity, ctx); }},
    {"bfd_no_swap", Shape::Value, [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.bfd_no_swap); }},
    {"script_user", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindUser(s, g.script_user, ctx); }},
    {"enable_script_security", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.enable_script_security); }},
    {"notify_fifo", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindFifo(s, g.notify_fifo, ctx); }},
    {"vrrp_notify_fifo", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindFifo(s, g.vrrp_notify_fifo, ctx); }},
    {"lvs_notify_fifo", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindFifo(s, g.lvs_notify_fifo, ctx); }},
    {"vrrp_mcast_group4", Shape::Value, bindGroup4},
    {"vrrp_mcast_group6", Shape::Value, bindGroup6},
    {"vrrp_version", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setInt(s, g.vrrp_version, 2, 3); }},
    {"vrrp_garp_master_delay", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setTimer(s, g.vrrp_garp_master_delay, D{}, kMaxDelay); }},
    {"vrrp_garp_master_repeat", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setInt(s, g.vrrp_garp_master_repeat, 1, 255); }},
    {"vrrp_garp_master_refresh", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setTimer(s, g.vrrp_garp_master_refresh, D{}, kMaxDelay); }},
    {"vrrp_garp_master_refresh_repeat", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setInt(s, g.vrrp_garp_master_refresh_repeat, 1, 255); }},
    {"vrrp_garp_lower_prio_repeat", Shape::Value,
     [](auto& s, G& g, auto& ctx) {
       if (auto v = ctx.integer(s, 1, 255)) g.vrrp_garp_lower_prio_repeat = static_cast<int>(*v);
     }},
    {"vrrp_skip_check_adv_addr", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_skip_check_adv_addr); }},
    {"vrrp_strict", Shape::Value, [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_strict); }},
    {"vrrp_check_unicast_src", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_check_unicast_src); }},
    {"vrrp_rt_priority", Shape::Value, bindRtPriority},
    {"vrrp_cpu_affinity", Shape::Value,
     [](auto& s, G& g, auto& ctx) { bindCpus(s, g.vrrp_cpu_affinity, ctx); }},
    {"vrrp_no_swap", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_no_swap); }},
    {"vrrp_rlimit_rttime", Shape::Value, bindRlimitRttime},
    {"vrrp_rlimit_rtime", Shape::Value, bindRlimitRttime},
    {"vrrp_down_timer_adverts", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setInt(s, g.vrrp_down_timer_adverts, 1, 100); }},
    {"vrrp_lower_prio_no_advert", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_lower_prio_no_advert); }},
    {"vrrp_higher_prio_send_advert", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.vrrp_higher_prio_send_advert); }},
    {"checker_log_all_failures", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.checker_log_all_failures); }},
    {"lvs_flush", Shape::Value, [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush); }},
    {"lvs_flush_on_stop", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush_on_stop); }},
    {"lvs_flush_onstop", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush_on_stop); }},
    {"lvs_timeouts", Shape::Value, bindLvsTimeouts},
    {"lvs_sync_daemon", Shape::Value, bindLvsSyncDaemon},
    {"reload_check_config", Shape::Value, [](auto& s, G&, auto& ctx) { (void)ctx.args(s, 0, 1); }},
    {"keel_dataplane", Shape::Value, bindDataplane},
    {"keel_proxy_workers", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setInt(s, g.proxy_workers, 0, 256); }},
    {"keel_proxy_client_prefix", Shape::Value, bindClientPrefix},
    {"keel_metrics_listen", Shape::Value, bindMetricsListen},
}};

}  // namespace

void bindGlobalDefs(const Statement& s, model::Config& c, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  BindContext::Scope scope(ctx, {"global_defs"});
  bindBlock<G>(Block::GlobalDefs, *s.block, kGlobalDefs, c.global, ctx);
}

std::vector<std::string_view> globalBound() { return namesOf(kGlobalDefs); }

}  // namespace keel::conf
