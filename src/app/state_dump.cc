#include "app/state_dump.h"

#include <fmt/format.h>

#include "lvs/engine.h"
#include "vrrp/status.h"

namespace keel::app {

namespace {

VrrpView viewOf(const vrrp::InstanceStatus& i) {
  VrrpView v;
  v.name = i.name;
  v.state = vrrp::stateName(i.state);
  v.priority = i.priority;
  v.effective_priority = i.effective_priority;
  v.interface = i.interface;
  v.vrid = i.vrid;
  for (const base::Prefix& vip : i.vips) v.vips.push_back(vip.str());
  v.transitions = i.counters.transitions;
  v.fault = i.fault;
  v.master = i.master;
  v.counters = i.counters;
  return v;
}

std::string realsText(const RuntimeView& view) {
  std::string out;
  for (const check::RealServerStatus& r : view.reals) {
    out += fmt::format(" RS {} {}:{} alive={}{}\n", model::str(r.id.virtual_server),
                       r.id.address.str(), r.id.port, r.alive ? "yes" : "no",
                       r.weight ? fmt::format(" dynamic_weight={}", *r.weight) : "");
    for (const check::CheckerStatus& c : r.checkers) {
      out += fmt::format("   {} {}{}\n", c.kind, c.up ? "UP" : "DOWN",
                         c.last_reason.empty() ? "" : " (" + c.last_reason + ")");
    }
  }
  return out;
}

std::string tableText(const RuntimeView& view) {
  if (!view.table) return "";
  std::string out;
  for (const lb::ServicePtr& s : view.table->services) {
    out += fmt::format(" {} {}\n", s->key.str(), s->scheduler);
    for (const lb::Real& r : s->reals) {
      out += fmt::format("   -> {} weight {}{}\n", r.key.str(), r.weight, r.sorry ? " sorry" : "");
    }
  }
  return out;
}

std::string summaryOf(const model::Config& config) {
  std::size_t reals = 0;
  for (const model::VirtualServer& vs : config.virtual_servers) reals += vs.real_servers.size();
  return fmt::format(
      "{} VRRP instance(s), {} sync group(s), {} vrrp_script(s), {} virtual server(s), {} real "
      "server(s)",
      config.vrrp_instances.size(), config.sync_groups.size(), config.vrrp_scripts.size(),
      config.virtual_servers.size(), reals);
}

}  // namespace

RuntimeView collectView(std::shared_ptr<const model::Config> config, const vrrp::EngineStatus* vrrp,
                        const lvs::Engine* services) {
  RuntimeView view;
  if (!config) return view;  // nothing runs without a configuration
  view.instance = config->instance;
  view.summary = summaryOf(*config);
  view.config = std::move(config);
  if (vrrp != nullptr) {
    for (const vrrp::InstanceStatus& i : vrrp->instances) view.vrrp.push_back(viewOf(i));
  }
  if (services != nullptr) {
    view.reals = services->checks().status();
    view.table = services->desired().table();
  }
  return view;
}

std::string dataText(const RuntimeView& view) {
  std::string out =
      fmt::format("------< keel data >------\nConfiguration file: {}\n", view.config_file);
  if (!view.instance.empty()) out += fmt::format("Instance: {}\n", view.instance);
  if (!view.summary.empty()) out += fmt::format("Configuration: {}\n", view.summary);
  out += fmt::format("------< VRRP instances ({}) >------\n", view.vrrp.size());
  for (const VrrpView& v : view.vrrp) {
    out += fmt::format(
        " VRRP Instance {}\n   State: {}\n   Interface: {}\n   Virtual router id: {}\n"
        "   Priority: {} (effective {})\n   Transitions: {}\n   Virtual IP: {}\n",
        v.name, v.state, v.interface, v.vrid, v.priority, v.effective_priority, v.transitions,
        fmt::join(v.vips, " "));
    if (!v.fault.empty()) out += fmt::format("   Fault: {}\n", v.fault);
  }
  out += "------< Real servers (checkers) >------\n" + realsText(view);
  out += "------< Virtual server table (data plane) >------\n" + tableText(view);
  return out;
}

nlohmann::ordered_json dataJson(const RuntimeView& view) {
  auto vrrp = nlohmann::ordered_json::array();
  for (const VrrpView& v : view.vrrp) {
    vrrp.push_back({{"name", v.name},
                    {"state", v.state},
                    {"priority", v.priority},
                    {"effective_priority", v.effective_priority},
                    {"interface", v.interface},
                    {"virtual_router_id", v.vrid},
                    {"virtual_ipaddress", v.vips},
                    {"transitions", v.transitions},
                    {"fault", v.fault}});
  }
  auto reals = nlohmann::ordered_json::array();
  for (const check::RealServerStatus& r : view.reals) {
    nlohmann::ordered_json j = {{"virtual_server", model::str(r.id.virtual_server)},
                                {"address", r.id.address.str()},
                                {"port", r.id.port},
                                {"alive", r.alive}};
    if (r.weight) j["dynamic_weight"] = *r.weight;
    reals.push_back(std::move(j));
  }
  auto table = nlohmann::ordered_json::array();
  if (view.table) {
    for (const lb::ServicePtr& s : view.table->services) {
      auto rs = nlohmann::ordered_json::array();
      for (const lb::Real& r : s->reals) {
        rs.push_back({{"real", r.key.str()}, {"weight", r.weight}, {"sorry", r.sorry}});
      }
      table.push_back({{"service", s->key.str()}, {"scheduler", s->scheduler}, {"reals", rs}});
    }
  }
  return {{"config_file", view.config_file},
          {"instance", view.instance},
          {"vrrp", vrrp},
          {"real_servers", reals},
          {"virtual_servers", table}};
}

std::string loopStatsText(const event::LoopStats& stats) {
  return fmt::format("Event loop:\n  Callback exceptions: {}\n  Fatal exceptions: {}\n",
                     stats.callback_exceptions, stats.fatal_exceptions);
}

namespace {

std::string millis(base::Duration d) {
  return fmt::format("{} ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

std::string threadDumpText(const event::LoopSnapshot& loop,
                           const std::vector<event::RunningChild>& children) {
  std::string out = "Thread dump:\n";
  out += fmt::format("  Event loop: {} fd(s) watched, {} signal(s) handled, {} posted job(s)\n",
                     loop.watched_fds, loop.signals, loop.posted);
  out += fmt::format("  Timers: {} pending{}\n", loop.timers,
                     loop.next_timer ? ", next in " + millis(*loop.next_timer) : "");
  out += fmt::format("  Callback exceptions: {}, fatal: {}\n", loop.stats.callback_exceptions,
                     loop.stats.fatal_exceptions);
  out += fmt::format("  Children: {} running\n", children.size());
  for (const event::RunningChild& c : children) {
    out += fmt::format("    pid {} {} for {}\n", c.pid, c.program, millis(c.runtime));
  }
  return out;
}

}  // namespace keel::app
