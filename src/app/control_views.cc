#include "app/control_views.h"

#include <fmt/format.h>

namespace keel::app {

namespace {

nlohmann::ordered_json dropsJson(const vrrp::DropCounters& drops) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < vrrp::kDropReasonCount; ++i) {
    const auto reason = static_cast<vrrp::DropReason>(i);
    out[std::string(vrrp::dropReasonName(reason))] = drops[reason];
  }
  return out;
}

nlohmann::ordered_json instanceJson(const VrrpView& i) {
  const vrrp::InstanceCounters& c = i.counters;
  return {{"name", i.name},
          {"state", i.state},
          {"interface", i.interface},
          {"vrid", i.vrid},
          {"priority", i.priority},
          {"effective_priority", i.effective_priority},
          {"master", i.master},
          {"fault", i.fault},
          {"adverts_sent", c.adverts_sent},
          {"adverts_received", c.adverts_received},
          {"priority_zero_received", c.priority_zero_received},
          {"transitions", c.transitions},
          {"dropped", c.drops.total()},
          {"drops", dropsJson(c.drops)}};
}

template <typename T>
T field(const nlohmann::ordered_json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end()) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else {
    return it->is_number() ? it->template get<T>() : fallback;
  }
}

nlohmann::ordered_json checkerJson(const check::CheckerStatus& c) {
  return {{"kind", c.kind},
          {"supported", c.supported},
          {"up", c.up},
          {"has_run", c.has_run},
          {"paused", c.paused},
          {"retries_done", c.retries_done},
          {"last_reason", c.last_reason},
          {"no_descriptor", c.no_descriptor},
          {"last_duration_seconds",
           c.last_duration
               ? nlohmann::ordered_json(std::chrono::duration<double>(*c.last_duration).count())
               : nlohmann::ordered_json(nullptr)}};
}

std::string checkersText(const nlohmann::ordered_json& checkers) {
  std::string out;
  for (const auto& c : checkers) {
    if (!out.empty()) out += ", ";
    const bool paused = field<bool>(c, "paused", false);
    const bool up = field<bool>(c, "up", false);
    out += field<std::string>(c, "kind", "?") + (paused ? " paused" : up ? " up" : " down");
    const std::string why = field<std::string>(c, "last_reason", "");
    if (!up && !why.empty()) out += " (" + why + ")";
  }
  return out.empty() ? "no checkers" : out;
}

}  // namespace

nlohmann::ordered_json vrrpJson(const std::vector<VrrpView>& instances) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const VrrpView& i : instances) out.push_back(instanceJson(i));
  return out;
}

std::string vrrpText(const nlohmann::ordered_json& instances, bool stats) {
  std::string out = fmt::format("{:<16} {:<7} {:<12} {:>4} {:>4} {:>4}  {}\n", "Instance", "State",
                                "Interface", "VRID", "Prio", "Eff", "Master");
  for (const auto& i : instances) {
    const std::string fault = field<std::string>(i, "fault", "");
    out +=
        fmt::format("{:<16} {:<7} {:<12} {:>4} {:>4} {:>4}  {}{}\n",
                    field<std::string>(i, "name", ""), field<std::string>(i, "state", ""),
                    field<std::string>(i, "interface", ""), field<int>(i, "vrid", 0),
                    field<int>(i, "priority", 0), field<int>(i, "effective_priority", 0),
                    field<std::string>(i, "master", "-"), fault.empty() ? "" : " (" + fault + ")");
    if (!stats) continue;
    out += fmt::format("  adverts sent {} received {}, priority 0 received {}, transitions {}\n",
                       field<std::uint64_t>(i, "adverts_sent", 0),
                       field<std::uint64_t>(i, "adverts_received", 0),
                       field<std::uint64_t>(i, "priority_zero_received", 0),
                       field<std::uint64_t>(i, "transitions", 0));
    out += fmt::format("  dropped {}", field<std::uint64_t>(i, "dropped", 0));
    static const nlohmann::ordered_json kNone = nlohmann::ordered_json::object();
    const nlohmann::ordered_json& drops = i.contains("drops") ? i.at("drops") : kNone;
    for (const auto& [reason, n] : drops.items()) {
      if (n.is_number() && n.get<std::uint64_t>() > 0) {
        out += fmt::format(", {} {}", reason, n.get<std::uint64_t>());
      }
    }
    out += "\n";
  }
  return out;
}

nlohmann::ordered_json checksJson(const std::vector<check::RealServerStatus>& reals) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const check::RealServerStatus& r : reals) {
    nlohmann::ordered_json checkers = nlohmann::ordered_json::array();
    for (const check::CheckerStatus& c : r.checkers) checkers.push_back(checkerJson(c));
    out.push_back({{"virtual_server", model::str(r.id.virtual_server)},
                   {"real_server", model::endpointStr(r.id.address, r.id.port)},
                   {"alive", r.alive},
                   {"weight", r.weight ? nlohmann::ordered_json(*r.weight) : nullptr},
                   {"checkers", checkers}});
  }
  return out;
}

std::string checksText(const nlohmann::ordered_json& reals) {
  std::string out;
  for (const auto& r : reals) {
    out += fmt::format("{} -> {}: {} [{}]\n", field<std::string>(r, "virtual_server", ""),
                       field<std::string>(r, "real_server", ""),
                       field<bool>(r, "alive", false) ? "UP" : "DOWN", checkersText(r["checkers"]));
  }
  return out.empty() ? "no real servers are checked\n" : out;
}

int vrrpStateValue(const std::string& state_name) {
  if (state_name == "BACKUP") return 1;
  if (state_name == "MASTER") return 2;
  if (state_name == "FAULT") return 3;
  return 0;
}

}  // namespace keel::app
