#include "model/scripts.h"

#include <fmt/format.h>

#include "model/validate.h"

namespace keel::model {

namespace {

void addNotify(std::vector<ScriptUse>& out, const Notify& notify, const std::string& block,
               const std::string& who) {
  const std::pair<const Script*, const char*> entries[] = {
      {&notify.master, "notify_master"}, {&notify.backup, "notify_backup"},
      {&notify.fault, "notify_fault"},   {&notify.stop, "notify_stop"},
      {&notify.any, "notify"},
  };
  for (const auto& [script, keyword] : entries) {
    if (!script->empty()) {
      out.push_back({script, fmt::format("({}) {}", who, keyword), {block, who, keyword}});
    }
  }
}

void add(std::vector<ScriptUse>& out, const Script& script, std::string where, Subject subject) {
  if (!script.empty()) out.push_back({&script, std::move(where), std::move(subject)});
}

}  // namespace

std::vector<ScriptUse> scriptsOf(const Config& config) {
  std::vector<ScriptUse> out;
  for (const VrrpScript& s : config.vrrp_scripts) {
    add(out, s.script, fmt::format("vrrp_script {}", s.name), {"vrrp_script", s.name});
  }
  for (const SyncGroup& g : config.sync_groups) {
    addNotify(out, g.notify, "vrrp_sync_group", g.name);
  }
  for (const VrrpInstance& vi : config.vrrp_instances) {
    addNotify(out, vi.notify, "vrrp_instance", vi.name);
  }
  for (const VirtualServer& vs : config.virtual_servers) {
    const std::string name = virtualServerName(vs);
    const Subject at = {"virtual_server", name};
    add(out, vs.quorum_up, fmt::format("[{}] quorum_up", name), at);
    add(out, vs.quorum_down, fmt::format("[{}] quorum_down", name), at);
    for (const RealServer& rs : vs.real_servers) {
      const std::string rname =
          fmt::format("[{}] real_server {}", name, base::Endpoint{rs.address, rs.port}.str());
      add(out, rs.notify_up, rname + " notify_up", at);
      add(out, rs.notify_down, rname + " notify_down", at);
      for (const Checker& c : rs.checkers) {
        if (const auto* misc = std::get_if<MiscCheck>(&c.kind)) {
          add(out, misc->path, rname + " misc_path", at);
        }
      }
    }
  }
  return out;
}

std::string effectiveUser(const Script& script, const GlobalDefs& global,
                          const std::string& fallback) {
  if (!script.user.empty()) return script.user;
  if (!global.script_user.user.empty()) return global.script_user.user;
  return fallback;
}

}  // namespace keel::model
