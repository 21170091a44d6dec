// vrrp_instance NAME { ... } (docs/reference/keepalived.md §1.10).
#include <array>

#include <fmt/format.h>

#include "conf/bind_blocks.h"

namespace keel::conf {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using D = model::Duration;
using VI = model::VrrpInstance;

struct Draft {
  VI vi;
  bool priority_set = false;
};

// One virtual_ipaddress line: `IP[/LEN] [dev IF] [brd IP] [scope S] [label L] [no_track] ...`.
std::optional<model::VirtualIp> virtualIp(const Statement& e, BindContext& ctx) {
  auto prefix = ctx.prefix(e, -1);
  if (!prefix) return std::nullopt;
  model::VirtualIp vip{*prefix, std::nullopt, {}, {}, {}, false};
  static constexpr std::array<std::string_view, 8> kLater = {
      "use_vmac",   "peer",          "home",     "-nodad",
      "mngtmpaddr", "noprefixroute", "autojoin", "preferred_lft"};
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    const std::string& opt = e.args[i].text;
    bool has_value = i + 1 < e.args.size();
    int at = static_cast<int>(i);
    if (opt == "no_track") {
      vip.no_track = true;
    } else if ((opt == "dev" || opt == "scope" || opt == "label") && has_value) {
      (opt == "dev" ? vip.dev : opt == "scope" ? vip.scope : vip.label) = e.args[++i].text;
    } else if ((opt == "brd" || opt == "broadcast") && has_value) {
      if (auto a = ctx.address(e, static_cast<int>(++i))) vip.broadcast = *a;
    } else if (std::find(kLater.begin(), kLater.end(), opt) != kLater.end()) {
      ctx.warning(e, at,
                  fmt::format("virtual address option '{}' is not supported by keel yet - "
                              "ignoring",
                              opt));
      if (opt == "peer" || opt == "preferred_lft") ++i;
    } else {
      ctx.error(e, at, fmt::format("Unknown configuration entry '{}'", opt));
    }
  }
  return vip;
}

void bindVips(const Statement& s, std::vector<model::VirtualIp>& list, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    if (auto vip = virtualIp(e, ctx)) list.push_back(std::move(*vip));
  }
}

void bindUnicastPeers(const Statement& s, VI& vi, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    auto addr = base::IpAddress::parse(e.keyword);
    if (!addr) {
      ctx.error(e, -1, addr.error().message);
      continue;
    }
    model::UnicastPeer peer{*addr, std::nullopt, std::nullopt};
    for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
      auto ttl = ctx.integer(e, 0, 255, static_cast<int>(i + 1));
      if (e.args[i].text == "min_ttl") {
        peer.min_ttl = ttl;
      } else if (e.args[i].text == "max_ttl") {
        peer.max_ttl = ttl;
      } else {
        ctx.error(e, static_cast<int>(i),
                  fmt::format("Unknown configuration entry '{}'", e.args[i].text));
      }
    }
    if (e.args.size() % 2 != 0) ctx.error(e, static_cast<int>(e.args.size() - 1), "missing value");
    vi.unicast_peer.push_back(peer);
  }
}

void bindAuthentication(const Statement& s, VI& vi, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    if (e.keyword == "auth_type" && ctx.args(e, 1, 1)) {
      if (e.args[0].text == "PASS") {
        vi.auth_type = model::AuthType::Pass;
      } else if (e.args[0].text == "AH") {
        vi.auth_type = model::AuthType::Ah;
      } else {
        ctx.error(e, 0,
                  fmt::format("invalid auth_type \"{}\": expected PASS or AH", e.args[0].text));
      }
    } else if (e.keyword == "auth_pass" && ctx.args(e, 1, 1)) {
      vi.auth_pass = e.args[0].text;
      if (vi.auth_pass.size() > 8) {
        ctx.warning(e, 0, "auth_pass is longer than 8 characters; only the first 8 are used");
        vi.auth_pass.resize(8);
      }
    } else if (e.keyword != "auth_type" && e.keyword != "auth_pass") {
      ctx.error(e, -1, fmt::format("unknown keyword '{}' in authentication", e.keyword));
    }
  }
}

void setOptTimer(const Statement& s, std::optional<D>& field, D min, D max, BindContext& ctx) {
  if (auto t = ctx.timer(s, min, max)) field = *t;
}

void setOptInt(const Statement& s, std::optional<int>& field, int min, int max, BindContext& ctx) {
  if (auto v = ctx.integer(s, min, max)) field = static_cast<int>(*v);
}

void setOptFlag(const Statement& s, std::optional<bool>& field, BindContext& ctx) {
  if (auto v = ctx.flag(s)) field = *v;
}

void bindState(const Statement& s, Draft& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (s.args[0].text == "MASTER") {
    d.vi.state = model::InitialState::Master;
  } else if (s.args[0].text == "BACKUP") {
    d.vi.state = model::InitialState::Backup;
  } else {
    ctx.error(s, 0, fmt::format("invalid state \"{}\": expected MASTER or BACKUP", s.args[0].text));
  }
}

void bindSourceIp(const Statement& s, Draft& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (auto a = ctx.address(s)) d.vi.unicast_src_ip = *a;
}

constexpr D kMaxDelay = seconds(86400);

constexpr std::array<Keyword<Draft>, 38> kInstance = {{
    {"state", Shape::Value, bindState},
    {"interface", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       if (auto w = ctx.word(s); w && w->size() > 15) {
         ctx.error(s, 0, fmt::format("interface name \"{}\" is longer than 15 characters", *w));
       } else if (w) {
         d.vi.interface = *w;
       }
     }},
    {"virtual_router_id", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setInt(s, d.vi.virtual_router_id, 1, 255); }},
    {"priority", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       d.priority_set = true;
       ctx.setInt(s, d.vi.priority, 1, 255);
     }},
    {"advert_int", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setTimer(s, d.vi.advert_int, milliseconds(10), seconds(255)); }},
    {"version", Shape::Value, [](auto& s, Draft& d, auto& ctx) { ctx.setInt(s, d.vi.version, 2, 3); }},
    {"authentication", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindAuthentication(s, d.vi, ctx); }},
    {"virtual_ipaddress", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindVips(s, d.vi.virtual_ipaddress, ctx); }},
    {"virtual_ipaddress_excluded", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindVips(s, d.vi.virtual_ipaddress_excluded, ctx); }},
    {"mcast_src_ip", Shape::Value, bindSourceIp},
    {"unicast_src_ip", Shape::Value, bindSourceIp},
    {"unicast_peer", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindUnicastPeers(s, d.vi, ctx); }},
    {"unicast_ttl", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setInt(s, d.vi.unicast_ttl, 0, 255); }},
    {"unicast_fault_no_peer", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.vi.unicast_fault_no_peer); }},
    {"track_interface", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       if (!ctx.args(s, 0, 0)) return;
       for (const Statement& e : *s.block) {
         if (auto r = ctx.trackRef(e, 253)) d.vi.track_interface.push_back(std::move(*r));
       }
     }},
    {"track_script", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       if (!ctx.args(s, 0, 0)) return;
       for (const Statement& e : *s.block) {
         if (auto r = ctx.trackRef(e, 253)) d.vi.track_script.push_back(std::move(*r));
       }
     }},
    {"track_file", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       if (!ctx.args(s, 0, 0)) return;
       for (const Statement& e : *s.block) {
         if (auto r = ctx.trackRef(e, 254)) d.vi.track_file.push_back(std::move(*r));
       }
     }},
    {"track_bfd", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindTrackBfd(s, d.vi.track_bfd, ctx); }},
    {"dont_track_primary", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.vi.dont_track_primary); }},
    {"nopreempt", Shape::Value, [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.vi.nopreempt); }},
    {"preempt", Shape::Value, [](auto& s, Draft&, auto& ctx) { (void)ctx.args(s, 0, 0); }},
    {"preempt_delay", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setTimer(s, d.vi.preempt_delay, D{}, seconds(1000)); }},
    {"skip_check_adv_addr", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptFlag(s, d.vi.skip_check_adv_addr, ctx); }},
    {"strict_mode", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptFlag(s, d.vi.strict_mode, ctx); }},
    {"garp_master_delay", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptTimer(s, d.vi.garp_master_delay, D{}, kMaxDelay, ctx); }},
    {"garp_master_repeat", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptInt(s, d.vi.garp_master_repeat, 1, 255, ctx); }},
    {"garp_master_refresh", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       setOptTimer(s, d.vi.garp_master_refresh, D{}, kMaxDelay, ctx);
     }},
    {"garp_master_refresh_repeat", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptInt(s, d.vi.garp_master_refresh_repeat, 1, 255, ctx); }},
    {"garp_lower_prio_delay", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       setOptTimer(s, d.vi.garp_lower_prio_delay, D{}, kMaxDelay, ctx);
     }},
    {"garp_lower_prio_repeat", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptInt(s, d.vi.garp_lower_prio_repeat, 1, 255, ctx); }},
    {"notify_master", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setScript(s, d.vi.notify.master); }},
    {"notify_backup", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setScript(s, d.vi.notify.backup); }},
    {"notify_fault", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setScript(s, d.vi.notify.fault); }},
    {"notify_stop", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setScript(s, d.vi.notify.stop); }},
    {"notify", Shape::Value, [](auto& s, Draft& d, auto& ctx) { ctx.setScript(s, d.vi.notify.any); }},
    {"smtp_alert", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptFlag(s, d.vi.smtp_alert, ctx); }},
    {"accept", Shape::Value, [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.vi.accept); }},
    {"no_accept", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       if (ctx.args(s, 0, 0)) d.vi.accept = false;
     }},
}};

// Checks that need the whole block (keepalived's own wording where it has one).
void finish(const Statement& s, Draft& d, BindContext& ctx) {
  VI& vi = d.vi;
  if (vi.virtual_router_id == 0) {
    ctx.error(s, 0, fmt::format("({}) the virtual router id must be set", vi.name));
  }
  if (!d.priority_set && vi.state == model::InitialState::Master) vi.priority = 255;
  if (vi.state == model::InitialState::Master && vi.auth_type == model::AuthType::Ah) {
    ctx.error(s, 0,
              fmt::format("({}) Initial state master is incompatible with AH "
                          "authentication - clearing",
                          vi.name));
    vi.state = model::InitialState::Backup;
  }
  if (vi.interface.empty() && vi.unicast_peer.empty()) {
    ctx.error(s, 0, fmt::format("({}) an interface is needed (or unicast peers)", vi.name));
  }
  if (vi.virtual_ipaddress.empty()) {
    ctx.warning(s, 0, fmt::format("({}) no virtual addresses", vi.name));
  }
  for (const auto& vip : vi.virtual_ipaddress) {
    if (vip.address.address().isV6() != vi.virtual_ipaddress[0].address.address().isV6()) {
      ctx.error(s, 0,
                fmt::format("({}) virtual_ipaddress mixes IPv4 and IPv6; put the other "
                            "family in virtual_ipaddress_excluded",
                            vi.name));
      break;
    }
  }
}

}  // namespace

void bindVrrpInstance(const Statement& s, model::Config& c, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  auto name = ctx.word(s);
  if (!name) return;
  Draft d;
  d.vi.name = *name;
  bindBlock<Draft>("vrrp_instance", *s.block, kInstance, d, ctx);
  finish(s, d, ctx);
  c.vrrp_instances.push_back(std::move(d.vi));
}

}  // namespace keel::conf
