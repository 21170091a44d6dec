// The metrics page (docs/metrics.md): control_views.h's add*Metrics.
#include <fmt/format.h>

#include "app/control_views.h"

namespace keel::app {

namespace {

using ctl::Labels;
using ctl::MetricsText;

double num(std::uint64_t v) { return static_cast<double>(v); }

void declareVrrp(MetricsText& m) {
  m.family("keel_vrrp_state", "gauge", "VRRP instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.");
  m.family("keel_vrrp_effective_priority", "gauge", "VRRP priority after tracking.");
  m.family("keel_vrrp_transitions_total", "counter", "VRRP state transitions.");
  m.family("keel_vrrp_adverts_sent_total", "counter", "VRRP adverts sent.");
  m.family("keel_vrrp_adverts_received_total", "counter",
           "VRRP adverts received that passed every check.");
  m.family("keel_vrrp_priority_zero_received_total", "counter",
           "VRRP adverts received with priority 0 (a master stepping down).");
  m.family("keel_vrrp_adverts_dropped_total", "counter", "VRRP packets dropped, by reason.");
}

void declareServices(MetricsText& m) {
  m.family("keel_check_up", "gauge", "1 when every checker of the real server passes.");
  m.family("keel_real_weight", "gauge", "Weight of the real server in the data plane's table.");
  m.family("keel_check_duration_seconds", "gauge",
           "How long the last finished attempt of each checker took.");
  m.family("keel_check_no_descriptor_total", "counter",
           "Checker attempts that could not open a socket (keeld out of descriptors): no "
           "verdict, the state kept.");
  for (const char* scope : {"service", "real"}) {
    for (const auto& [what, help] :
         {std::pair{"connections", "Connections scheduled"},
          std::pair{"packets", "Packets forwarded"}, std::pair{"bytes", "Bytes forwarded"}}) {
      m.family(fmt::format("keel_{}_{}_total", scope, what), "counter",
               fmt::format("{} to the {} (direction: in = client to real server, out = replies "
                           "through the director; connections: in only).",
                           help, std::string_view(scope) == "real" ? "real server" : "service"));
    }
  }
}

void addCounters(MetricsText& m, const std::string& scope, const Labels& labels,
                 const dataplane::Counters& c) {
  m.add("keel_" + scope + "_connections_total", labels, num(c.conns));
  for (const auto& [dir, packets, bytes] : {std::tuple{"in", c.in_packets, c.in_bytes},
                                            std::tuple{"out", c.out_packets, c.out_bytes}}) {
    Labels l = labels;
    l.emplace_back("direction", dir);
    m.add("keel_" + scope + "_packets_total", l, num(packets));
    m.add("keel_" + scope + "_bytes_total", l, num(bytes));
  }
}

}  // namespace

void addVrrpMetrics(const RuntimeView& view, MetricsText& m) {
  declareVrrp(m);
  for (const VrrpView& i : view.vrrp) {
    const Labels l{{"instance", i.name}};
    const vrrp::InstanceCounters& c = i.counters;
    m.add("keel_vrrp_state", l, vrrpStateValue(i.state));
    m.add("keel_vrrp_effective_priority", l, i.effective_priority);
    m.add("keel_vrrp_transitions_total", l, num(c.transitions));
    m.add("keel_vrrp_adverts_sent_total", l, num(c.adverts_sent));
    m.add("keel_vrrp_adverts_received_total", l, num(c.adverts_received));
    m.add("keel_vrrp_priority_zero_received_total", l, num(c.priority_zero_received));
    for (std::size_t r = 0; r < vrrp::kDropReasonCount; ++r) {
      const auto reason = static_cast<vrrp::DropReason>(r);
      m.add("keel_vrrp_adverts_dropped_total",
            {{"instance", i.name}, {"reason", std::string(vrrp::dropReasonName(reason))}},
            num(c.drops[reason]));
    }
  }
}

void addCheckMetrics(const RuntimeView& view, MetricsText& m) {
  declareServices(m);
  for (const check::RealServerStatus& r : view.reals) {
    m.add("keel_check_up",
          {{"virtual_server", model::str(r.id.virtual_server)},
           {"real_server", model::endpointStr(r.id.address, r.id.port)}},
          r.alive ? 1 : 0);
    for (std::size_t i = 0; i < r.checkers.size(); ++i) {
      m.add("keel_check_no_descriptor_total",
            {{"virtual_server", model::str(r.id.virtual_server)},
             {"real_server", model::endpointStr(r.id.address, r.id.port)},
             {"checker", r.checkers[i].kind},
             {"index", std::to_string(i)}},
            num(r.checkers[i].no_descriptor));
      if (!r.checkers[i].last_duration) continue;
      m.add("keel_check_duration_seconds",
            {{"virtual_server", model::str(r.id.virtual_server)},
             {"real_server", model::endpointStr(r.id.address, r.id.port)},
             {"checker", r.checkers[i].kind},
             {"index", std::to_string(i)}},
            std::chrono::duration<double>(*r.checkers[i].last_duration).count());
    }
  }
  if (!view.table) return;
  for (const lb::ServicePtr& s : view.table->services) {
    for (const lb::Real& real : s->reals) {
      m.add("keel_real_weight", {{"service", s->key.str()}, {"real_server", real.key.str()}},
            real.weight);
    }
  }
}

void addDataplaneMetrics(const dataplane::Dataplane* dp, MetricsText& m) {
  m.family("keel_dataplane_drops_total", "counter", "Packets the data plane dropped, by reason.");
  m.family("keel_dataplane_events_total", "counter",
           "Other data plane counters (passes, lookups, table events), by name.");
  if (dp == nullptr) return;
  if (auto stats = dp->stats()) {
    for (const dataplane::ServiceStats& s : *stats) {
      addCounters(m, "service", {{"service", s.key.str()}}, s.counters);
      for (const dataplane::RealStats& r : s.reals) {
        addCounters(m, "real", {{"service", s.key.str()}, {"real_server", r.key.str()}},
                    r.counters);
      }
    }
  }
  if (auto counters = dp->counters()) {
    for (const auto& [name, value] : *counters) {
      if (name.rfind("drop_", 0) == 0) {
        m.add("keel_dataplane_drops_total", {{"reason", name.substr(5)}}, num(value));
      } else {
        m.add("keel_dataplane_events_total", {{"name", name}}, num(value));
      }
    }
  }
}

void addControlMetrics(const ctl::ServerCounters& c, MetricsText& m) {
  m.family("keel_control_requests_total", "counter", "Requests served on the control socket.");
  m.family("keel_control_refused_total", "counter",
           "Control socket peers refused or cut, by reason.");
  m.add("keel_control_requests_total", {}, num(c.requests));
  for (const auto& [reason, n] :
       {std::pair{"peer", c.refused_peer}, std::pair{"full", c.refused_full},
        std::pair{"evicted", c.evicted}, std::pair{"oversized", c.oversized},
        std::pair{"timeout", c.timeouts}}) {
    m.add("keel_control_refused_total", {{"reason", reason}}, num(n));
  }
  m.family("keel_control_accept_pauses_total", "counter",
           "Times the control socket stopped accepting for a while: no descriptor or memory.");
  m.add("keel_control_accept_pauses_total", {}, num(c.accept_pauses));
}

void addLoopMetrics(const event::LoopStats& stats, MetricsText& m) {
  m.family("keel_loop_callback_exceptions_total", "counter",
           "Exceptions caught around event-loop callbacks; keeld ran on (docs/operations.md).");
  m.add("keel_loop_callback_exceptions_total", {}, num(stats.callback_exceptions));
}

}  // namespace keel::app
