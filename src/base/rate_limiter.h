// RateLimiter: per-cause budget of `burst` events per `window`, counting what it refused so the
// next allowed event can say how many were suppressed. A pure core: time comes in as an argument.
// Used by logging (one cause per message kind) and by anything that reports untrusted input.
// One thread (the owner's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"

namespace keel::base {

class RateLimiter {
 public:
  // REQUIRES: burst >= 1, window > 0.
  RateLimiter(std::uint32_t burst, Duration window) : burst_(burst), window_(window) {}

  struct Decision {
    bool allowed = false;
    std::uint64_t suppressed_before = 0;  // refused since the last allowed event of this cause
  };

  // Whether one more event of `cause` may pass at time `now`. Windows are fixed: the first event
  // of a cause opens a window of `window`; up to `burst` events pass inside it.
  Decision admit(std::string_view cause, TimePoint now);

  // How many causes are tracked; causes idle for a whole window are forgotten on the next admit.
  std::size_t causes() const { return causes_.size(); }

 private:
  struct State {
    TimePoint window_start;
    std::uint32_t passed = 0;
    std::uint64_t suppressed = 0;
  };
  void forgetIdle(TimePoint now);

  std::uint32_t burst_;
  Duration window_;
  std::unordered_map<std::string, State> causes_;
  TimePoint last_sweep_{};
};

}  // namespace keel::base
