#include "vrrp/tracking.h"

namespace keel::vrrp {

namespace {

constexpr std::int64_t kFileFaultBelow = -253;

}  // namespace

TrackingResult aggregate(std::span<const TrackedState> items, std::span<const TrackedFile> files) {
  TrackingResult r;
  for (const TrackedState& t : items) {
    const bool ok = t.ok != t.reverse;
    if (t.weight == 0) {
      r.fault = r.fault || !ok;
    } else if ((t.weight > 0) == ok) {
      r.delta += t.weight;
    }
  }
  std::int64_t file_total = 0;
  for (const TrackedFile& f : files) {
    if (f.weight == 0) {
      r.fault = r.fault || f.value != 0;
      continue;
    }
    file_total += (f.reverse ? -f.value : f.value) * f.weight;
  }
  if (file_total < kFileFaultBelow) r.fault = true;
  // The state machine clamps to 1..254; keep the sum itself in a sane int range.
  file_total = file_total > 1000 ? 1000 : (file_total < -1000 ? -1000 : file_total);
  r.delta += static_cast<int>(file_total);
  return r;
}

TrackedState bfdTracked(bool up, int weight, bool reverse) {
  // With `reverse`, aggregate() sees "not Up" as ok: -W while Up for W > 0, -W while down for
  // W < 0, and FAULT while Up for W = 0.
  return {up, reverse ? -weight : weight, reverse};
}

bool ScriptVerdict::record(bool success) {
  if (!known_) {
    known_ = true;
    ok_ = success;
    streak_ = 0;
    return true;
  }
  if (success == ok_) {
    streak_ = 0;
    return false;
  }
  if (++streak_ < (ok_ ? fall_ : rise_)) return false;
  ok_ = success;
  streak_ = 0;
  return true;
}

}  // namespace keel::vrrp
