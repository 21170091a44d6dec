#include "ctl/config_json.h"

#include "model/validate.h"

namespace keel::ctl {

namespace {

using J = nlohmann::ordered_json;

double seconds(model::Duration d) { return static_cast<double>(d.count()) / 1e6; }

J script(const model::Script& s) {
  if (s.empty()) return nullptr;
  J j{{"argv", s.argv}};
  if (!s.user.empty()) j["user"] = s.user;
  if (!s.group.empty()) j["group"] = s.group;
  return j;
}

J tracks(const std::vector<model::TrackRef>& refs) {
  J out = J::array();
  for (const auto& r : refs) {
    J j{{"name", r.name}};
    if (r.has_weight) j["weight"] = r.weight, j["reverse"] = r.reverse;
    out.push_back(j);
  }
  return out;
}

J notify(const model::Notify& n) {
  return {{"notify_master", script(n.master)},
          {"notify_backup", script(n.backup)},
          {"notify_fault", script(n.fault)},
          {"notify_stop", script(n.stop)},
          {"notify", script(n.any)}};
}

J vips(const std::vector<model::VirtualIp>& list) {
  J out = J::array();
  for (const auto& v : list) {
    J j{{"address", v.address.str()}};
    if (!v.dev.empty()) j["dev"] = v.dev;
    if (v.broadcast) j["brd"] = v.broadcast->str();
    if (!v.scope.empty()) j["scope"] = v.scope;
    if (!v.label.empty()) j["label"] = v.label;
    if (v.no_track) j["no_track"] = true;
    out.push_back(j);
  }
  return out;
}

J instance(const model::VrrpInstance& vi) {
  J peers = J::array();
  for (const auto& p : vi.unicast_peer) peers.push_back(p.address.str());
  const char* auth = vi.auth_type == model::AuthType::Pass ? "PASS"
                     : vi.auth_type == model::AuthType::Ah ? "AH"
                                                           : nullptr;
  J j{{"name", vi.name},
      {"state", vi.state == model::InitialState::Master ? "MASTER" : "BACKUP"},
      {"interface", vi.interface},
      {"virtual_router_id", vi.virtual_router_id},
      {"priority", vi.priority},
      {"advert_int", seconds(vi.advert_int)},
      {"version", vi.version == 0 ? J(nullptr) : J(vi.version)},
      {"auth_type", auth == nullptr ? J(nullptr) : J(auth)},
      {"virtual_ipaddress", vips(vi.virtual_ipaddress)},
      {"virtual_ipaddress_excluded", vips(vi.virtual_ipaddress_excluded)},
      {"unicast_src_ip", vi.unicast_src_ip ? J(vi.unicast_src_ip->str()) : J(nullptr)},
      {"unicast_peer", peers},
      {"track_interface", tracks(vi.track_interface)},
      {"track_script", tracks(vi.track_script)},
      {"track_file", tracks(vi.track_file)},
      {"nopreempt", vi.nopreempt},
      {"preempt_delay", seconds(vi.preempt_delay)}};
  j.update(notify(vi.notify));
  return j;
}

J checker(const model::Checker& c) {
  static constexpr const char* kNames[] = {"HTTP_GET",   "TCP_CHECK",  "SMTP_CHECK",
                                           "DNS_CHECK",  "MISC_CHECK", "UDP_CHECK",
                                           "PING_CHECK", "FILE_CHECK", "BFD_CHECK"};
  J j{{"type", kNames[c.kind.index()]},
      {"connect_timeout", seconds(c.timing.connect_timeout)},
      {"retry", c.timing.retry},
      {"delay_before_retry", seconds(c.timing.delay_before_retry)},
      {"delay_loop", seconds(c.timing.delay_loop)},
      {"alpha", c.timing.alpha}};
  if (c.target.connect_ip) j["connect_ip"] = c.target.connect_ip->str();
  if (c.target.connect_port) j["connect_port"] = *c.target.connect_port;
  if (const auto* f = std::get_if<model::FileCheck>(&c.kind)) j["track_file"] = f->track_file;
  if (const auto* b = std::get_if<model::BfdCheck>(&c.kind)) j["name"] = b->name;
  if (const auto* h = std::get_if<model::HttpCheck>(&c.kind)) {
    if (h->tls) j["type"] = "SSL_GET";
    J urls = J::array();
    for (const auto& u : h->urls) {
      J url{{"path", u.path}};
      if (!u.digest.empty()) url["digest"] = u.digest;
      for (const auto& r : u.status_codes) url["status_code"].push_back({r.low, r.high});
      urls.push_back(url);
    }
    j["url"] = urls;
    if (!h->virtualhost.empty()) j["virtualhost"] = h->virtualhost;
  }
  if (const auto* m = std::get_if<model::MiscCheck>(&c.kind)) j["misc_path"] = script(m->path);
  return j;
}

J virtualServer(const model::VirtualServer& vs) {
  static constexpr const char* kKinds[] = {"NAT", "DR", "TUN"};
  J reals = J::array();
  for (const auto& rs : vs.real_servers) {
    J checks = J::array();
    for (const auto& c : rs.checkers) checks.push_back(checker(c));
    reals.push_back({{"address", rs.address.str()},
                     {"port", rs.port},
                     {"weight", rs.weight},
                     {"inhibit_on_failure", rs.inhibit_on_failure},
                     {"notify_up", script(rs.notify_up)},
                     {"notify_down", script(rs.notify_down)},
                     {"checkers", checks}});
  }
  return {{"virtual_server", model::virtualServerName(vs)},
          {"lb_algo", vs.scheduler},
          {"lb_kind", kKinds[static_cast<int>(vs.forwarding)]},
          {"persistence_timeout", seconds(vs.persistence_timeout)},
          {"delay_loop", seconds(vs.delay_loop)},
          {"quorum", vs.quorum},
          {"real_servers", reals}};
}

}  // namespace

nlohmann::ordered_json toJson(const model::Config& c) {
  J scripts = J::array();
  for (const auto& s : c.vrrp_scripts) {
    scripts.push_back({{"name", s.name},
                       {"script", script(s.script)},
                       {"interval", seconds(s.interval)},
                       {"weight", s.weight},
                       {"rise", s.rise},
                       {"fall", s.fall}});
  }
  J groups = J::array();
  for (const auto& g : c.sync_groups) groups.push_back({{"name", g.name}, {"group", g.members}});
  J instances = J::array();
  for (const auto& vi : c.vrrp_instances) instances.push_back(instance(vi));
  J servers = J::array();
  for (const auto& vs : c.virtual_servers) servers.push_back(virtualServer(vs));
  return {{"global_defs",
           {{"router_id", c.global.router_id},
            {"notification_email", c.global.notification_email},
            {"smtp_server", c.global.smtp_server},
            {"vrrp_version", c.global.vrrp_version},
            {"keel_metrics_listen", c.global.keel_metrics_listen}}},
          {"vrrp_script", scripts},
          {"vrrp_sync_group", groups},
          {"vrrp_instance", instances},
          {"virtual_server", servers}};
}

std::string dumpJson(const nlohmann::ordered_json& json, int indent) {
  return json.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace keel::ctl
