#include "model/validate.h"

#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace keel::model {

namespace {

void checkInstances(const Config& c, std::vector<Problem>& out) {
  std::set<std::string> names;
  std::map<std::tuple<std::string, int, bool>, std::string> vrids;  // (if, vrid, v6) -> name
  std::map<base::Prefix, std::string> vips;
  for (const VrrpInstance& vi : c.vrrp_instances) {
    if (!names.insert(vi.name).second) {
      out.push_back({true,
                     fmt::format("vrrp_instance {} is defined twice", vi.name),
                     {"vrrp_instance", vi.name}});
    }
    bool v6 = !vi.virtual_ipaddress.empty() && vi.virtual_ipaddress[0].address.address().isV6();
    if (v6 && vi.version == 2) {
      out.push_back(
          {true,
           fmt::format("({}) VRRP version 2 cannot carry IPv6 addresses; use version 3", vi.name),
           {"vrrp_instance", vi.name, "virtual_ipaddress", vi.virtual_ipaddress[0].address.str()}});
    }
    auto key = std::make_tuple(vi.interface, vi.virtual_router_id, v6);
    if (auto [it, fresh] = vrids.emplace(key, vi.name); !fresh && vi.virtual_router_id != 0) {
      out.push_back({true,
                     fmt::format("({}) virtual_router_id {} on {} is already used by {}", vi.name,
                                 vi.virtual_router_id, vi.interface, it->second),
                     {"vrrp_instance", vi.name, "virtual_router_id"}});
    }
    for (const VirtualIp& vip : vi.virtual_ipaddress) {
      base::Prefix host = vip.address;
      if (auto [it, fresh] = vips.emplace(host, vi.name); !fresh && it->second != vi.name) {
        out.push_back(
            {true,
             fmt::format("({}) virtual address {} is also in {}", vi.name, host.str(), it->second),
             {"vrrp_instance", vi.name, "virtual_ipaddress", host.str()}});
      }
    }
  }
}

void checkReferences(const Config& c, std::vector<Problem>& out) {
  std::set<std::string> instances;
  for (const VrrpInstance& vi : c.vrrp_instances) instances.insert(vi.name);
  std::set<std::string> scripts;
  for (const VrrpScript& s : c.vrrp_scripts) scripts.insert(s.name);
  std::set<std::string> files;
  for (const TrackFile& f : c.track_files) files.insert(f.name);
  std::set<std::string> bfds;
  for (const BfdInstance& b : c.bfd_instances) bfds.insert(b.name);
  std::set<std::string> checker_bfds;  // the sessions the checkers hear
  for (const BfdInstance& b : c.bfd_instances) {
    if (b.notify_checker) checker_bfds.insert(b.name);
  }
  for (const SyncGroup& g : c.sync_groups) {
    for (const std::string& m : g.members) {
      if (!instances.contains(m)) {
        out.push_back({true,
                       fmt::format("vrrp_sync_group {} names unknown vrrp_instance {}", g.name, m),
                       {"vrrp_sync_group", g.name, "group", m}});
      }
    }
  }
  for (const VirtualServer& vs : c.virtual_servers) {
    for (const RealServer& rs : vs.real_servers) {
      for (const Checker& checker : rs.checkers) {
        const std::string name = virtualServerName(vs);
        if (const auto* b = std::get_if<BfdCheck>(&checker.kind);
            b != nullptr && !checker_bfds.contains(b->name)) {
          out.push_back({true,
                         fmt::format("virtual_server {}: BFD_CHECK names {} bfd_instance {}", name,
                                     bfds.contains(b->name) ? "the `vrrp`-only" : "no", b->name),
                         {"virtual_server", name}});
        }
        const auto* f = std::get_if<FileCheck>(&checker.kind);
        if (f == nullptr || files.contains(f->track_file)) continue;
        out.push_back({true,
                       fmt::format("virtual_server {}: FILE_CHECK track_file {} not found", name,
                                   f->track_file),
                       {"virtual_server", name}});
      }
    }
  }
  // An instance's or a sync group's tracker names: `what` says what a name must be.
  auto refs = [&](const std::string& block, const std::string& owner, const std::string& keyword,
                  const std::vector<TrackRef>& list, const std::set<std::string>& known,
                  std::string_view label, std::string_view what) {
    for (const TrackRef& t : list) {
      if (known.contains(t.name)) continue;
      out.push_back({true,
                     fmt::format("({}) {} {} {}", owner, label, t.name, what),
                     {block, owner, keyword, t.name}});
    }
  };
  auto all = [&](const std::string& block, const std::string& owner,
                 const std::vector<TrackRef>& script, const std::vector<TrackRef>& file,
                 const std::vector<TrackRef>& bfd) {
    refs(block, owner, "track_script", script, scripts, "track_script", "is not a vrrp_script");
    refs(block, owner, "track_file", file, files, "track_file", "is not defined");
    refs(block, owner, "track_bfd", bfd, bfds, "track bfd", "not found");
  };
  for (const VrrpInstance& vi : c.vrrp_instances) {
    all("vrrp_instance", vi.name, vi.track_script, vi.track_file, vi.track_bfd);
  }
  for (const SyncGroup& g : c.sync_groups) {
    all("vrrp_sync_group", g.name, g.track_script, g.track_file, g.track_bfd);
  }
}

// `keel_dataplane proxy` forwards as NAT only: DR and TUN are refused, not quietly turned into NAT.
void checkProxyForwarding(const VirtualServer& vs, const std::string& name,
                          std::vector<Problem>& out) {
  Forwarding f = vs.forwarding;
  for (const RealServer& r : vs.real_servers) {
    if (f == Forwarding::Nat && r.forwarding) f = *r.forwarding;
  }
  if (f == Forwarding::Nat) return;
  out.push_back({true,
                 fmt::format("virtual_server {}: lb_kind {} needs the XDP data plane; "
                             "keel_dataplane proxy forwards NAT only",
                             name, f == Forwarding::Dr ? "DR" : "TUN"),
                 {"virtual_server", name, "lb_kind"}});
}

void checkVirtualServers(const Config& c, std::vector<Problem>& out) {
  std::set<VirtualServerId> seen;
  std::set<std::string> groups;
  for (const VirtualServerGroup& g : c.virtual_server_groups) groups.insert(g.name);
  for (const VirtualServer& vs : c.virtual_servers) {
    const VirtualServerId id = VirtualServerId::of(vs);
    const std::string name = str(id);
    if (!seen.insert(id).second) {
      out.push_back({true,
                     fmt::format("virtual_server {} is defined twice", name),
                     {"virtual_server", name}});
    }
    if (const auto* g = std::get_if<VsGroup>(&vs.key); g && !groups.contains(g->name)) {
      out.push_back({true,
                     fmt::format("virtual_server group {} is not a virtual_server_group", g->name),
                     {"virtual_server", name}});
    }
    if (vs.real_servers.empty() && !vs.sorry_server) {
      out.push_back({false,
                     fmt::format("virtual_server {} has no real servers", name),
                     {"virtual_server", name}});
    }
    if (c.global.dataplane == DataplaneKind::Proxy) checkProxyForwarding(vs, name, out);
  }
}

// keepalived: "lvs_sync_daemon vrrp interface VI not found - disabling syncd".
void checkSyncDaemon(const Config& c, std::vector<Problem>& out) {
  if (!c.global.lvs_sync_daemon) return;
  const std::string& name = c.global.lvs_sync_daemon->instance;
  for (const VrrpInstance& vi : c.vrrp_instances) {
    if (vi.name == name) return;
  }
  out.push_back({false, fmt::format("lvs_sync_daemon names vrrp_instance {}, which is not "
                                    "defined: no sync daemon runs",
                                    name)});
}

}  // namespace

std::vector<Problem> validate(const Config& config) {
  std::vector<Problem> out;
  checkInstances(config, out);
  checkReferences(config, out);
  checkVirtualServers(config, out);
  checkSyncDaemon(config, out);
  return out;
}

}  // namespace keel::model
