// FILE_CHECK's verdict (keepalived's track_file.c for real servers, docs/health-checks.md): what
// the value a track file holds means for one real server. Pure; any thread.
#pragma once

#include <cstdint>

namespace keel::check {

struct FileVerdict {
  bool up = true;
  int weight_delta = 0;  // added to the real server's weight while up

  friend bool operator==(const FileVerdict&, const FileVerdict&) = default;
};

// weight 0: a non-zero value is down (reverse: a zero value is down), no weight change.
// Otherwise value * weight (negated with reverse), clamped to int: INT_MIN or below is down
// (keepalived's IPVS_WEIGHT_FAULT), anything else is up and adds to the real server's weight.
FileVerdict judgeTrackFile(std::int64_t value, int weight, bool reverse);

}  // namespace keel::check
