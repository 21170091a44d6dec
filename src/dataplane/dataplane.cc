#include "dataplane/dataplane.h"

#include <fmt/format.h>

namespace keel::dataplane {

namespace {

std::string countersText(const Counters& s) {
  return fmt::format("conns {} in_packets {} in_bytes {} out_packets {} out_bytes {}", s.conns,
                     s.in_packets, s.in_bytes, s.out_packets, s.out_bytes);
}

}  // namespace

std::string statsText(const Dataplane& dataplane) {
  std::string out = fmt::format("{}\n", dataplane.title());
  if (auto stats = dataplane.stats()) {
    for (const ServiceStats& s : *stats) {
      out += fmt::format(" Service {} {}\n", s.key.str(), countersText(s.counters));
      for (const RealStats& r : s.reals) {
        out += fmt::format("  Real {} {}", r.key.str(), countersText(r.counters));
        if (r.active_conns && r.inactive_conns) {
          out += fmt::format(" active {} inactive {}", *r.active_conns, *r.inactive_conns);
        }
        out += "\n";
      }
    }
  } else {
    out += fmt::format(" statistics unavailable: {}\n", stats.error().str());
  }
  if (auto counters = dataplane.counters()) {
    for (const auto& [name, value] : *counters) out += fmt::format(" {} {}\n", name, value);
  }
  return out;
}

}  // namespace keel::dataplane
