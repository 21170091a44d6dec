// makeScheduler(): keepalived's lb_algo name and flags to one of the IPVS schedulers in
// sched_*.cc; the helpers they share for explain().
#include "lb/scheduler.h"

#include <fmt/format.h>

#include <array>

#include "lb/sched_internal.h"

namespace keel::lb {
namespace {

constexpr std::array<std::string_view, 14> kNames = {
    "rr", "wrr", "lc", "wlc", "sed", "nq", "lblc", "lblcr", "dh", "sh", "mh", "fo", "ovf", "twos"};

struct HashFlags {
  bool port = false;
  bool fallback = false;
};

std::string joined(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// sh and mh take "<prefix>-port", "<prefix>-fallback" and keepalived's numbered spellings of the
// same IPVS bits: flag-1 (IP_VS_SVC_F_SCHED1) is fallback, flag-2 (SCHED2) is port.
base::Result<HashFlags> parseHashFlags(std::string_view sched, std::span<const std::string> flags) {
  const std::string port = fmt::format("{}-port", sched);
  const std::string fallback = fmt::format("{}-fallback", sched);
  HashFlags out;
  for (const std::string& f : flags) {
    if (f == port || f == "flag-2") {
      out.port = true;
    } else if (f == fallback || f == "flag-1") {
      out.fallback = true;
    } else {
      return base::makeError(
          base::ErrorCode::InvalidArgument,
          fmt::format("scheduler flag '{}' is not valid for '{}'; accepted: {}, {}, flag-1, flag-2",
                      f, sched, port, fallback));
    }
  }
  return out;
}

std::unique_ptr<Scheduler> makeUnflagged(std::string_view name) {
  if (name == "rr") return sched::makeRr();
  if (name == "wrr") return sched::makeWrr();
  if (name == "lc") return sched::makeLc();
  if (name == "wlc") return sched::makeWlc();
  if (name == "sed") return sched::makeSed();
  if (name == "nq") return sched::makeNq();
  if (name == "lblc") return sched::makeLblc();
  if (name == "lblcr") return sched::makeLblcr();
  if (name == "dh") return sched::makeDh();
  if (name == "fo") return sched::makeFo();
  if (name == "ovf") return sched::makeOvf();
  if (name == "twos") return sched::makeTwos();
  return nullptr;
}

}  // namespace

std::string Scheduler::explain(std::span<const Dest> /*dests*/, const Flow& /*flow*/) const {
  return std::string(name());
}

std::span<const std::string_view> schedulerNames() { return kNames; }

base::Result<std::unique_ptr<Scheduler>> makeScheduler(std::string_view name,
                                                       std::span<const std::string> flags) {
  if (name == "sh" || name == "mh") {
    auto parsed = parseHashFlags(name, flags);
    if (!parsed) return parsed.error();
    return name == "sh" ? sched::makeSh(parsed->port, parsed->fallback)
                        : sched::makeMh(parsed->port, parsed->fallback);
  }
  std::unique_ptr<Scheduler> s = makeUnflagged(name);
  if (!s) {
    return base::makeError(
        base::ErrorCode::InvalidArgument,
        fmt::format("unknown scheduler '{}'; accepted: {}", name, joined(kNames)));
  }
  if (!flags.empty()) {
    return base::makeError(
        base::ErrorCode::InvalidArgument,
        fmt::format("scheduler '{}' takes no flags; got '{}' (flags exist for sh and mh only)",
                    name, flags.front()));
  }
  return s;
}

namespace sched {

std::string describe(const Dest& d) {
  return fmt::format("{} (active {}, inactive {}, weight {}{})", d.key.str(), d.active, d.inactive,
                     d.weight, d.overloaded ? ", overloaded" : "");
}

std::string describeChoice(std::span<const Dest> dests, std::optional<std::size_t> i) {
  if (!i || *i >= dests.size()) return "no destination available";
  return describe(dests[*i]);
}

}  // namespace sched
}  // namespace keel::lb
