#include "check/file_check.h"

#include <limits>

namespace keel::check {

FileVerdict judgeTrackFile(std::int64_t value, int weight, bool reverse) {
  if (weight == 0) return {(value == 0) != reverse, 0};
  constexpr std::int64_t kMin = std::numeric_limits<int>::min();
  constexpr std::int64_t kMax = std::numeric_limits<int>::max();
  const std::int64_t factor = reverse ? -static_cast<std::int64_t>(weight) : weight;
  std::int64_t product = 0;
  if (__builtin_mul_overflow(value, factor, &product)) {  // saturate: only the sign matters
    product = (value < 0) != (factor < 0) ? kMin : kMax;
  }
  if (product <= kMin) return {false, 0};
  return {true, static_cast<int>(product > kMax ? kMax : product)};
}

}  // namespace keel::check
