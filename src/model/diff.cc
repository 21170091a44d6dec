#include "model/diff.h"

#include <functional>
#include <map>

#include <fmt/format.h>

#include "model/validate.h"

namespace keel::model {

namespace {

// Added/removed/changed entries between two keyed maps, in key order.
template <class T, class Same>
void compare(const std::map<std::string, const T*>& a, const std::map<std::string, const T*>& b,
             Same same, std::vector<Change>& out) {
  for (const auto& [key, old] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      out.push_back({ChangeKind::Removed, key});
    } else if (!same(*old, *it->second)) {
      out.push_back({ChangeKind::Changed, key});
    }
  }
  for (const auto& [key, now] : b) {
    if (!a.contains(key)) out.push_back({ChangeKind::Added, key});
  }
}

std::map<std::string, const VirtualServer*> byName(const Config& c) {
  std::map<std::string, const VirtualServer*> m;
  for (const VirtualServer& vs : c.virtual_servers) m.emplace(virtualServerName(vs), &vs);
  return m;
}

std::map<std::string, const RealServer*> realServers(const std::string& vs_name,
                                                     const VirtualServer* vs) {
  std::map<std::string, const RealServer*> m;
  if (vs == nullptr) return m;
  for (const RealServer& rs : vs->real_servers) {
    std::string addr = rs.address.isV6() ? "[" + rs.address.str() + "]" : rs.address.str();
    m.emplace(fmt::format("{} -> {}:{}", vs_name, addr, rs.port), &rs);
  }
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

  auto old_vs = byName(before);
  auto new_vs = byName(after);
  compare(old_vs, new_vs, sameService, d.virtual_servers);
  std::map<std::string, const VirtualServer*> all = old_vs;
  all.insert(new_vs.begin(), new_vs.end());
  for (const auto& [name, unused] : all) {
    auto o = old_vs.find(name);
    auto n = new_vs.find(name);
    compare(realServers(name, o == old_vs.end() ? nullptr : o->second),
            realServers(name, n == new_vs.end() ? nullptr : n->second), std::equal_to<RealServer>(),
            d.real_servers);
  }
  return d;
}

}  // namespace keel::model
