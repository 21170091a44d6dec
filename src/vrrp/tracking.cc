#include "vrrp/tracking.h"

namespace keel::vrrp {

namespace {

constexpr std::int64_t kFileFaultBelow = -253;

}  // namespace

TrackingResult aggregate(std::span<const TrackedState> items, std::span<const TrackedFile> files) {
  TrackingResult r;
  for (const TrackedState& t : items) {
    if (t.weight == 0) {
      r.fault = r.fault || t.ok == t.reverse;
    } else if ((t.weight > 0) == t.ok) {
      r.delta += t.reverse ? -t.weight : t.weight;
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
