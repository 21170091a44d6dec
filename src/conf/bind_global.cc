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
  } else {
    ctx.error(s, 0, "keel_dataplane must be auto, xdp or proxy, not '" + v + "'");
  }
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
constexpr std::array<Keyword<G>, 44> kGlobalDefs = {{
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
    {"checker_log_all_failures", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.checker_log_all_failures); }},
    {"lvs_flush", Shape::Value, [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush); }},
    {"lvs_flush_on_stop", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush_on_stop); }},
    {"lvs_flush_onstop", Shape::Value,
     [](auto& s, G& g, auto& ctx) { ctx.setFlag(s, g.lvs_flush_on_stop); }},
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
