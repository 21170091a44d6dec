#include "model/diff.h"

#include <functional>
#include <map>

namespace keel::model {

namespace {

const std::string& nameOf(const std::string& key) { return key; }
std::string nameOf(const VirtualServerId& key) { return str(key); }
std::string nameOf(const RealServerId& key) { return str(key); }

// Added/removed/changed entries between two keyed maps, in key order; `name` gives a key's text.
template <class K, class T, class Same>
void compare(const std::map<K, const T*>& a, const std::map<K, const T*>& b, Same same,
             std::vector<Change>& out) {
  for (const auto& [key, old] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      out.push_back({ChangeKind::Removed, nameOf(key)});
    } else if (!same(*old, *it->second)) {
      out.push_back({ChangeKind::Changed, nameOf(key)});
    }
  }
  for (const auto& [key, now] : b) {
    if (!a.contains(key)) out.push_back({ChangeKind::Added, nameOf(key)});
  }
}

using Servers = std::map<VirtualServerId, const VirtualServer*>;

Servers byId(const Config& c) {
  Servers m;
  for (const VirtualServer& vs : c.virtual_servers) m.emplace(VirtualServerId::of(vs), &vs);
  return m;
}

std::map<RealServerId, const RealServer*> realServers(const VirtualServerId& id,
                                                      const VirtualServer* vs) {
  std::map<RealServerId, const RealServer*> m;
  if (vs == nullptr) return m;
  for (const RealServer& rs : vs->real_servers)
    m.emplace(RealServerId{id, rs.address, rs.port}, &rs);
  return m;
}

// A virtual server's own settings, without its real servers.
bool sameService(const VirtualServer& a, const VirtualServer& b) {
  VirtualServer x = a;
  VirtualServer y = b;
  x.real_servers.clear();
  y.real_servers.clear();
  return x == y;
}

}  // namespace

ConfigDiff diff(const Config& before, const Config& after) {
  ConfigDiff d;
  d.global_changed =
      !(before.global == after.global) || !(before.vrrp_scripts == after.vrrp_scripts) ||
      !(before.track_files == after.track_files) || !(before.sync_groups == after.sync_groups) ||
      !(before.virtual_server_groups == after.virtual_server_groups);
  std::map<std::string, const VrrpInstance*> old_vi;
  std::map<std::string, const VrrpInstance*> new_vi;
  for (const VrrpInstance& vi : before.vrrp_instances) old_vi.emplace(vi.name, &vi);
  for (const VrrpInstance& vi : after.vrrp_instances) new_vi.emplace(vi.name, &vi);
  compare(old_vi, new_vi, std::equal_to<VrrpInstance>(), d.vrrp_instances);

  const Servers old_vs = byId(before);
  const Servers new_vs = byId(after);
  compare(old_vs, new_vs, sameService, d.virtual_servers);
  Servers all = old_vs;
  all.insert(new_vs.begin(), new_vs.end());
  for (const auto& [id, unused] : all) {
    auto o = old_vs.find(id);
    auto n = new_vs.find(id);
    compare(realServers(id, o == old_vs.end() ? nullptr : o->second),
            realServers(id, n == new_vs.end() ? nullptr : n->second), std::equal_to<RealServer>(),
            d.real_servers);
  }
  return d;
}

}  // namespace keel::model
