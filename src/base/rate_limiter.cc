#include "base/rate_limiter.h"

namespace keel::base {

RateLimiter::Decision RateLimiter::admit(std::string_view cause, TimePoint now) {
  forgetIdle(now);
  auto [it, fresh] = causes_.try_emplace(std::string(cause));
  State& s = it->second;
  if (fresh || now - s.window_start >= window_) {
    s.window_start = now;
    s.passed = 0;
  }
  if (s.passed >= burst_) {
    ++s.suppressed;
    return {false, 0};
  }
  ++s.passed;
  Decision d{true, s.suppressed};
  s.suppressed = 0;
  return d;
}

// Bounded memory under many distinct causes: once per window, drop causes whose window has ended
// and that have nothing suppressed left to report.
void RateLimiter::forgetIdle(TimePoint now) {
  if (now - last_sweep_ < window_) return;
  last_sweep_ = now;
  std::erase_if(causes_, [&](const auto& kv) {
    return now - kv.second.window_start >= window_ && kv.second.suppressed == 0;
  });
}

}  // namespace keel::base
