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
  bool accept_set = false;
};

// VIP options keel refuses, by the refused form that says why (keyword_table.h).
std::optional<std::string_view> refusedVipOption(std::string_view opt) {
  static constexpr std::array<std::string_view, 6> kFlags = {
      "home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin", "preferred_lft"};
  if (opt == "brd" || opt == "broadcast") return "brd";
  if (opt == "scope" || opt == "peer" || opt == "use_vmac") return opt;
  if (std::find(kFlags.begin(), kFlags.end(), opt) != kFlags.end()) return "address flags";
  return std::nullopt;
}

// One virtual_ipaddress line: `IP[/LEN] [dev IF] [label L] [no_track]`; keepalived's other
// options are refused.
std::optional<model::VirtualIp> virtualIp(const Statement& e, BindContext& ctx) {
  auto prefix = ctx.prefix(e, -1);
  if (!prefix) return std::nullopt;
  model::VirtualIp vip{*prefix, std::nullopt, {}, {}, {}, false};
  bool ok = true;
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    const std::string& opt = e.args[i].text;
    int at = static_cast<int>(i);
    if (opt == "no_track") {
      vip.no_track = true;
    } else if ((opt == "dev" || opt == "label") && i + 1 < e.args.size()) {
      (opt == "dev" ? vip.dev : vip.label) = e.args[++i].text;
    } else if (auto form = refusedVipOption(opt)) {
      ctx.refuse(e, at, "virtual_ipaddress", *form);
      ok = false;
      break;
    } else {
      ctx.error(e, at, fmt::format("Unknown configuration entry '{}'", opt));
      ok = false;
    }
  }
  return ok ? std::optional(vip) : std::nullopt;
}

void bindVips(const Statement& s, const std::string& instance, std::vector<model::VirtualIp>& list,
              BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    auto vip = virtualIp(e, ctx);
    if (!vip) continue;
    ctx.note({"vrrp_instance", instance, s.keyword, vip->address.str()}, e, -1);
    list.push_back(std::move(*vip));
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
    if (!e.args.empty()) {
      if (e.args[0].text == "min_ttl" || e.args[0].text == "max_ttl") {
        ctx.refuse(e, 0, "unicast_peer", "min_ttl/max_ttl");
      } else {
        ctx.error(e, 0, fmt::format("Unknown configuration entry '{}'", e.args[0].text));
      }
      continue;
    }
    vi.unicast_peer.push_back(model::UnicastPeer{*addr, std::nullopt, std::nullopt});
  }
}

}  // namespace

void bindTracks(const Statement& s, std::string_view block, const std::string& owner,
                std::vector<model::TrackRef>& list, int max_weight, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    auto ref = ctx.trackRef(e, max_weight);
    if (!ref) continue;
    ctx.note({std::string(block), owner, s.keyword, ref->name}, e, -1);
    list.push_back(std::move(*ref));
  }
}

namespace {

// -- authentication { auth_type PASS|AH; auth_pass SECRET } ----------------------------------

void bindAuthType(const Statement& e, VI& vi, BindContext& ctx) {
  if (!ctx.args(e, 1, 1)) return;
  if (e.args[0].text == "PASS") {
    vi.auth_type = model::AuthType::Pass;
  } else if (e.args[0].text == "AH") {
    ctx.refuse(e, 0, "auth_type", "AH");
  } else {
    ctx.error(e, 0, fmt::format("invalid auth_type \"{}\": expected PASS or AH", e.args[0].text));
  }
}

void bindAuthPass(const Statement& e, VI& vi, BindContext& ctx) {
  if (!ctx.args(e, 1, 1)) return;
  vi.auth_pass = e.args[0].text;
  if (vi.auth_pass.size() > 8) {
    ctx.warning(e, 0, "auth_pass is longer than 8 characters; only the first 8 are used");
    vi.auth_pass.resize(8);
  }
}

constexpr std::array<Keyword<VI>, 2> kAuthentication = {{
    {"auth_type", Shape::Value, bindAuthType},
    {"auth_pass", Shape::Value, bindAuthPass},
}};

void bindAuthentication(const Statement& s, VI& vi, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  bindBlock<VI>(Block::Authentication, *s.block, kAuthentication, vi, ctx);
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
     [](auto& s, Draft& d, auto& ctx) { bindVips(s, d.vi.name, d.vi.virtual_ipaddress, ctx); }},
    {"virtual_ipaddress_excluded", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       bindVips(s, d.vi.name, d.vi.virtual_ipaddress_excluded, ctx);
     }},
    {"mcast_src_ip", Shape::Value, bindSourceIp},
    {"unicast_src_ip", Shape::Value, bindSourceIp},
    {"unicast_peer", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) { bindUnicastPeers(s, d.vi, ctx); }},
    {"track_interface", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       bindTracks(s, "vrrp_instance", d.vi.name, d.vi.track_interface, 253, ctx);
     }},
    {"track_script", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       bindTracks(s, "vrrp_instance", d.vi.name, d.vi.track_script, 253, ctx);
     }},
    {"track_file", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       bindTracks(s, "vrrp_instance", d.vi.name, d.vi.track_file, 254, ctx);
     }},
    {"track_bfd", Shape::Block,
     [](auto& s, Draft& d, auto& ctx) {
       bindTrackBfd(s, "vrrp_instance", d.vi.name, d.vi.track_bfd, ctx);
     }},
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
    {"check_unicast_src", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.vi.check_unicast_src); }},
    {"down_timer_adverts", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptInt(s, d.vi.down_timer_adverts, 1, 100, ctx); }},
    {"lower_prio_no_advert", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptFlag(s, d.vi.lower_prio_no_advert, ctx); }},
    {"higher_prio_send_advert", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setOptFlag(s, d.vi.higher_prio_send_advert, ctx); }},
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
    {"accept", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       if (ctx.args(s, 0, 0)) d.accept_set = true;
     }},
}};

// Checks that need the whole block (keepalived's own wording where it has one).
void finish(const Statement& s, Draft& d, BindContext& ctx) {
  VI& vi = d.vi;
  if (vi.virtual_router_id == 0) {
    ctx.error(s, 0, fmt::format("({}) the virtual router id must be set", vi.name));
  }
  if (!d.priority_set && vi.state == model::InitialState::Master) vi.priority = 255;
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
  ctx.note({"vrrp_instance", *name}, s);
  {
    BindContext::Scope scope(ctx, {"vrrp_instance", *name});
    bindBlock<Draft>(Block::Instance, *s.block, kInstance, d, ctx);
  }
  finish(s, d, ctx);
  if (d.accept_set) ctx.facts().explicit_accept.insert(*name);
  c.vrrp_instances.push_back(std::move(d.vi));
}

std::vector<std::string_view> instanceBound(Block block) {
  if (block == Block::Instance) return namesOf(kInstance);
  if (block == Block::Authentication) return namesOf(kAuthentication);
  return {};
}

}  // namespace keel::conf
