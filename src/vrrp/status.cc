#include "vrrp/status.h"

#include <fmt/format.h>

namespace keel::vrrp {

std::set<base::IpAddress> masterAddresses(const EngineStatus& status) {
  std::set<base::IpAddress> out;
  for (const InstanceStatus& i : status.instances) {
    if (i.state != State::Master) continue;
    for (const base::Prefix& v : i.vips) out.insert(v.address());
  }
  return out;
}

std::string statsText(const EngineStatus& status) {
  std::string out;
  for (const InstanceStatus& i : status.instances) {
    const InstanceCounters& c = i.counters;
    out += fmt::format("VRRP Instance: {}\n", i.name);
    out += fmt::format("  State: {}\n  Effective priority: {}\n", stateName(i.state),
                       i.effective_priority);
    if (!i.fault.empty()) out += fmt::format("  Fault: {}\n", i.fault);
    out += fmt::format("  Advertisements:\n    Received: {}\n    Sent: {}\n", c.adverts_received,
                       c.adverts_sent);
    out += fmt::format("  Priority zero received: {}\n  Transitions: {}\n",
                       c.priority_zero_received, c.transitions);
    out += fmt::format("  Dropped: {}\n", c.drops.total());
    for (std::size_t r = 0; r < kDropReasonCount; ++r) {
      const auto reason = static_cast<DropReason>(r);
      out += fmt::format("    {}: {}\n", dropReasonName(reason), c.drops[reason]);
    }
  }
  return out;
}

}  // namespace keel::vrrp
